"""Charts as inline SVG, drawn on the server: no JavaScript, nothing loaded from elsewhere."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ["#1f5f8b", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6d597a", "#457b9d", "#8d99ae",
           "#b5838d", "#588157"]


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def hbar_chart(items: list[tuple[str, float]], title: str, width: int = 520, bar: int = 22) -> Markup:
    """Horizontal bars, one per (label, value)."""
    label_w, pad = 210, 8
    height = max(1, len(items)) * (bar + pad) + 34
    top = max([v for _, v in items] or [0]) or 1
    span = width - label_w - 60
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = 28 + i * (bar + pad)
        w = 0 if not value else max(2, span * value / top)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" class="chart-label">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" rx="3" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {_fmt(value)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + bar * 0.7:.1f}" class="chart-value">{_fmt(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(items: list[tuple[str, float]], title: str, width: int = 620, height: int = 240) -> Markup:
    """Vertical columns with labels underneath (e.g. requests per week)."""
    left, bottom, top_pad = 34, 40, 30
    n = max(1, len(items))
    top = max([v for _, v in items] or [0]) or 1
    plot_h = height - bottom - top_pad
    step = (width - left - 10) / n
    col = step * 0.7
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 6}" y2="{height - bottom}" class="chart-axis"/>',
             f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="chart-label">{_fmt(top)}</text>',
             f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" class="chart-label">0</text>']
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = left + i * step + (step - col) / 2
        y = height - bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col:.1f}" height="{h:.1f}" rx="2" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></rect>')
        if value:
            parts.append(f'<text x="{x + col / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="chart-value">'
                         f'{_fmt(value)}</text>')
        parts.append(f'<text x="{x + col / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                     f'class="chart-label">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
