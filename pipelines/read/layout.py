"""Text of a PDF page rebuilt from its layout (pdfplumber words, lines and ruled tables).

Reading a PDF line by line cuts a value wrapped inside a table cell or under a "Label : value"
column in two ("Teknisi Jaringan" / "Muda"). Here a ruled table becomes one line per row, cells
joined with " | " and each cell's wrapped lines joined with spaces; and outside tables a line
whose pieces all start where the pieces of the line above start (not at its left margin) is a
continuation of those pieces. Runs inside the bounded reader worker.

pdfplumber interprets the whole page in Python (~100 ms a page); the words alone come from
pdfium's character boxes in ~3 ms. So a page goes to pdfplumber only when pdfium's words could
be wrong or miss something: a drawn shape that could rule a table (pdfplumber finds its cells),
rotated text, characters outside the Latin scripts or without a Unicode mapping.
"""
from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass, field

LAYOUT_MAX_PAGES = 8        # pdfplumber costs ~130 ms a dense page; requests have a few pages
_ALIGN = 3.0                # points: two pieces start "at the same x"
_GAP = 7.0                  # points between words that separate two pieces of one line
_X_TOLERANCE, _Y_TOLERANCE = 1.5, 3   # pdfplumber's word grouping


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


def layout_pages(data: bytes, pages: list[int]) -> dict[int, str]:
    """Layout text of the given pages (0-based) by pdfplumber; a page it cannot read is left out."""
    texts: dict[int, str] = {}
    if not pages:
        return texts
    try:
        import pdfplumber
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for i in pages:
                if i < len(pdf.pages):
                    texts[i] = page_text(pdf.pages[i])
    except Exception:
        pass
    return texts


def pdfium_page_text(page, textpage) -> str | None:
    """Layout text of a pdfium page from its character boxes, or None when unsure (see above)."""
    import pypdfium2.raw as pdfium_c

    if _may_hold_table(page, pdfium_c):
        return None
    chars = _pdfium_chars(page, textpage, pdfium_c)
    if chars is None:
        return None
    from pdfplumber.utils.text import WordExtractor

    words = WordExtractor(x_tolerance=_X_TOLERANCE, y_tolerance=_Y_TOLERANCE,
                          keep_blank_chars=False).extract_words(chars)
    return _compose([], words)


def _may_hold_table(page, pdfium_c) -> bool:
    """pdfplumber's table finder needs a cell: straight vertical and horizontal edges of at least
    3 points that meet. A horizontal rule alone (a letterhead line) or a shape drawn only with
    curves (a round stamp, edges apart by most of its radius) cannot make one; a straight
    segment in anything taller may."""
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=3):
            _, bottom, _, top = obj.get_bounds()
            stroke = ctypes.c_float(0)
            pdfium_c.FPDFPageObj_GetStrokeWidth(obj.raw, stroke)
            if top - bottom - stroke.value < 2.5:   # the bounds include the line's width
                continue
            count = pdfium_c.FPDFPath_CountSegments(obj.raw)
            if count <= 0 or any(pdfium_c.FPDFPathSegment_GetType(pdfium_c.FPDFPath_GetPathSegment(obj.raw, i))
                                 == pdfium_c.FPDF_SEGMENT_LINETO for i in range(count)):
                return True
        return False
    except Exception:
        return True


def _latin(code: int) -> bool:
    return code <= 0x24F or 0x2000 <= code <= 0x206F   # Latin scripts, general punctuation


def _pdfium_chars(page, textpage, pdfium_c) -> list[dict] | None:
    """pdfplumber-shaped characters (pdfminer's boxes, top-down coordinates), or None when unsure.
    About 1,000 characters a page, four pdfium calls each: the loop is kept lean."""
    raw, height, box = textpage.raw, page.get_height(), pdfium_c.FS_RECTF()
    unicode, angle, loose_box, font_size = (pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetCharAngle,
                                            pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize)
    chars = []
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        code = unicode(raw, i)
        if code in _SPECIAL:
            if code in (2, 0xAD) and pdfium_c.FPDFText_IsHyphen(raw, i) == 1:
                code = 0x2D   # a hyphen at the end of a line, as drawn
            elif code in (10, 13) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
                continue      # spaces and line breaks pdfium inferred; pdfplumber infers its own from gaps
            elif code != 32:
                return None
        elif not _latin(code):
            return None
        if angle(raw, i) != 0 or not loose_box(raw, i, box):
            return None
        # pdfminer's box, which pdfplumber's word and line grouping is tuned to: from the descent
        # up one font size (pdfium's loose box goes up to the font's ascent).
        bottom = height - box.bottom
        top = bottom - font_size(raw, i)
        chars.append({"text": chr(code), "x0": box.left, "x1": box.right, "top": top, "bottom": bottom,
                      "doctop": top, "upright": True})
    return chars


_SPECIAL = frozenset((0, 2, 10, 13, 32, 0xAD, 0xFFFD, 0xFFFE))


def page_text(page) -> str:
    """Layout text of a pdfplumber page (ruled tables included)."""
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
    words = page.extract_words(x_tolerance=_X_TOLERANCE, y_tolerance=_Y_TOLERANCE, keep_blank_chars=False)
    return _compose(lines, [w for w in words if not any(_inside(w, b) for b in boxes)])


def _compose(lines: list[_Line], words: list[dict]) -> str:
    """Table rows and word lines in reading order, wrapped continuations joined."""
    lines = lines + _word_lines(words)
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
