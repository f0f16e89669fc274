"""Text of a PDF page rebuilt from its layout (pdfplumber words, lines and ruled tables).

Reading a PDF line by line cuts a value wrapped inside a table cell or under a "Label : value"
column in two ("Teknisi Jaringan" / "Muda"). Here a ruled table becomes one line per row, cells
joined with " | " and each cell's wrapped lines joined with spaces; and outside tables a line
whose pieces all start where the pieces of the line above start (not at its left margin) is a
continuation of those pieces. Runs inside the bounded reader worker.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

LAYOUT_MAX_PAGES = 8        # pdfplumber costs ~130 ms a dense page; requests have a few pages
_ALIGN = 3.0                # points: two pieces start "at the same x"
_GAP = 7.0                  # points between words that separate two pieces of one line


@dataclass
class _Piece:
    x0: float
    x1: float
    text: str
    starts: list[float] = field(default_factory=list)   # x of each word


@dataclass
class _Line:
    top: float
    bottom: float
    pieces: list[_Piece] = field(default_factory=list)
    table_row: bool = False

    @property
    def x0(self) -> float:
        return self.pieces[0].x0 if self.pieces else 0.0

    def text(self) -> str:
        return (" | " if self.table_row else " ").join(p.text for p in self.pieces)


def layout_pages(data: bytes, max_pages: int = LAYOUT_MAX_PAGES) -> list[str] | None:
    """Layout text of the first pages, or None when pdfplumber cannot read the file."""
    try:
        import pdfplumber
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [page_text(page) for page in pdf.pages[:max_pages]]
    except Exception:
        return None


def page_text(page) -> str:
    tables = []
    try:
        tables = page.find_tables()
    except Exception:
        tables = []
    boxes = [t.bbox for t in tables]
    lines: list[_Line] = []
    for t in tables:
        try:
            rows = t.extract()
        except Exception:
            continue
        top = t.bbox[1]
        for k, row in enumerate(rows):
            cells = [" ".join(str(c or "").split()) for c in row]
            if not any(cells):
                continue
            lines.append(_Line(top + k * 0.01, top + k * 0.01, [_Piece(0, 0, c) for c in cells], table_row=True))
    words = page.extract_words(x_tolerance=1.5, y_tolerance=3, keep_blank_chars=False)
    words = [w for w in words if not any(_inside(w, b) for b in boxes)]
    lines.extend(_word_lines(words))
    lines.sort(key=lambda ln: ln.top)
    return "\n".join(ln.text() for ln in _join_continuations(lines))


def _inside(word: dict, box) -> bool:
    cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _word_lines(words: list[dict]) -> list[_Line]:
    rows: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(rows[-1][0]["top"] - w["top"]) <= 2.5:
            rows[-1].append(w)
        else:
            rows.append([w])
    out = []
    for row in rows:
        row.sort(key=lambda w: w["x0"])
        pieces: list[_Piece] = []
        for w in row:
            if pieces and w["x0"] - pieces[-1].x1 <= _GAP:
                pieces[-1].x1 = w["x1"]
                pieces[-1].text += " " + w["text"]
                pieces[-1].starts.append(w["x0"])
            else:
                pieces.append(_Piece(w["x0"], w["x1"], w["text"], [w["x0"]]))
        out.append(_Line(min(w["top"] for w in row), max(w["bottom"] for w in row), pieces))
    return out


def _join_continuations(lines: list[_Line]) -> list[_Line]:
    out: list[_Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if prev is not None and not prev.table_row and not ln.table_row and _continues(prev, ln):
            for p in ln.pieces:
                target = next(q for q in reversed(prev.pieces) if q.x0 - _ALIGN <= p.x0)
                target.text += " " + p.text
            prev.bottom = ln.bottom
            continue
        out.append(ln)
    return out


def _continues(prev: _Line, ln: _Line) -> bool:
    """`ln` carries only the wrapped ends of pieces of `prev`: each of its pieces starts where a
    word of `prev` other than its first starts (a value column), and it sits right under `prev`."""
    height = max(prev.bottom - prev.top, 1.0)
    if ln.top - prev.bottom > 0.9 * height:
        return False
    starts = [x for q in prev.pieces for x in q.starts][1:]
    if abs(ln.x0 - prev.x0) <= _ALIGN:
        return False
    if not all(any(abs(p.x0 - s) <= _ALIGN for s in starts) for p in ln.pieces):
        return False
    # a label column ("Skema : ...") or a value ending mid-phrase: not a new "Label : value" line
    return not any(p.text.rstrip().endswith(":") or " : " in p.text for p in ln.pieces)
