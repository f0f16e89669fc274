"""A received mail as an officer reads it: headers and a sanitised body.

HTML is cleaned with nh3 (ammonia): no scripts, styles, forms, images or links survive, so
opening a mail in the desk loads nothing from outside and cannot run anything. The page's
Content-Security-Policy would block remote content as well; this is the first line.
"""
from __future__ import annotations

import email
from email import policy
from pathlib import Path

import nh3
from markupsafe import Markup

MAX_BODY = 200_000
_TAGS = {"p", "br", "div", "span", "b", "strong", "i", "em", "u", "ul", "ol", "li", "table", "thead",
         "tbody", "tr", "td", "th", "blockquote", "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
         "sub", "sup", "small"}


def clean_html(markup: str) -> Markup:
    """Only structural tags; every attribute dropped (no src, href, style, on*)."""
    return Markup(nh3.clean(markup[:MAX_BODY], tags=_TAGS, attributes={}, url_schemes=set(),
                            strip_comments=True, link_rel=None))


def read_mail(raw_path: str | Path) -> dict:
    """Subject, sender, date and a safe body (HTML or plain text) of a stored raw mail."""
    try:
        data = Path(raw_path).read_bytes()
    except OSError:
        return {"ok": False, "html": None, "text": "(berkas surel tidak ditemukan di penyimpanan)", "headers": {}}
    msg = email.message_from_bytes(data, policy=policy.default)
    headers = {}
    for name in ("From", "To", "Cc", "Date", "Subject"):
        try:
            headers[name] = str(msg.get(name, "") or "")
        except Exception:  # malformed header: show it raw, never fail the page
            headers[name] = "(tidak terbaca)"
    html_part = text_part = None
    try:
        html_part = msg.get_body(preferencelist=("html",))
        text_part = msg.get_body(preferencelist=("plain",))
    except Exception:
        pass
    text = html = None
    if text_part is not None:
        text = _content(text_part)
    if html_part is not None:
        html = clean_html(_content(html_part))
    if text is None and html is None:
        text = "(surel tanpa isi teks)"
    return {"ok": True, "html": html, "text": text, "headers": headers}


def _content(part) -> str:
    try:
        return part.get_content()[:MAX_BODY]
    except Exception:
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")[:MAX_BODY]
