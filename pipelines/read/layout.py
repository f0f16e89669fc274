"""Text of a PDF page rebuilt from its layout (pdfplumber words, lines and ruled tables).

Reading a PDF line by line cuts a value wrapped inside a table cell or under a "Label : value"
column in two ("Teknisi Jaringan" / "Muda"). Here a ruled table becomes one line per row, cells
joined with " | " and each cell's wrapped lines joined with spaces; and outside tables a line
whose pieces all start where the pieces of the line above start (not at its left margin) is a
continuation of those pieces. Runs inside the bounded reader worker.

pdfplumber interprets the whole page in Python (~100 ms a page); the words alone come from
pdfium's character boxes in ~2 ms, grouped into words as pdfplumber groups them. So a page goes
to pdfplumber only when pdfium's words could be wrong or miss something: a drawn shape that could rule a table (pdfplumber finds its cells),
rotated text, characters outside the Latin scripts or without a Unicode mapping.
"""
from __future__ import annotations

import ctypes
import io
from operator import itemgetter
from dataclasses import dataclass, field

LAYOUT_MAX_PAGES = 8        # pdfplumber costs ~130 ms a dense page; requests have a few pages
_ALIGN = 3.0                # points: two pieces start "at the same x"
_GAP = 7.0                  # points between words that separate two pieces of one line
_X_TOLERANCE, _Y_TOLERANCE = 1.5, 3   # pdfplumber's word grouping


@dataclass(slots=True)   # built a few hundred times a page
class _Piece:
    x0: float
    x1: float
    text: str
    starts: list[float] = field(default_factory=list)   # x of each word


@dataclass(slots=True)
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

    from pipelines.read import pdfchars

    may_hold_table, upright = _page_objects(page, pdfium_c)
    if may_hold_table:
        return None
    if pdfchars.available():   # the same steps in C
        return pdfchars.page_text(textpage.raw, pdfium_c.FPDFText_CountChars(textpage.raw),
                                  page.get_height(), upright)
    chars = _python_chars(page, textpage, pdfium_c, upright)
    return None if chars is None else _compose([], _words(chars))


class _Unsure(Exception):
    def __init__(self, level: int):
        self.level = level


_TABLE_DEPTH, _TURN_DEPTH = 3, 8   # form nesting searched for ruling lines, for turned text


def _page_objects(page, pdfium_c) -> tuple[bool, bool]:
    """One walk over the page's objects (raw pdfium calls; the page-object wrappers cost more
    than the walk) for two answers:

    - may it hold a ruled table? pdfplumber's table finder needs a cell: straight vertical and
      horizontal edges of at least 3 points that meet. A horizontal rule alone (a letterhead
      line) or a shape drawn only with curves (a round stamp, edges apart by most of its radius)
      cannot make one; a straight segment in anything taller may.
    - is all text upright? No text object (nor a form holding one) rotated, skewed or mirrored,
      and the page not rotated: then no character has an angle and none needs asking.

    Unsure means a table may be there, and text may be turned."""
    from pipelines.read import pdfchars

    try:
        upright = page.get_rotation() == 0
    except Exception:
        upright = False
    if pdfchars.available():   # the same walk in C
        return pdfchars.page_objects(page.raw, upright)
    return _python_objects(page, pdfium_c, upright)


def _python_objects(page, pdfium_c, upright: bool) -> tuple[bool, bool]:
    """The reference for pdfchars.c's `sertiflow_page_objects`: `_page_objects` after the page's
    rotation (`upright`: the page is not rotated)."""
    table = False
    path, text, form = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM
    object_type, matrix = pdfium_c.FPDFPageObj_GetType, pdfium_c.FS_MATRIX()

    def walk(count_objects, get_object, parent, level: int) -> None:
        nonlocal table, upright
        count = count_objects(parent)
        if count < 0:
            raise _Unsure(level)
        for i in range(count):
            if table and not upright:
                return
            obj = get_object(parent, i)
            if not obj:
                raise _Unsure(level)
            kind = object_type(obj)
            if kind == path and not table and level < _TABLE_DEPTH:
                table = _may_rule(obj, pdfium_c)
            elif kind in (text, form) and upright:
                upright = bool(pdfium_c.FPDFPageObj_GetMatrix(obj, matrix)) and matrix.b == 0 \
                    and matrix.c == 0 and matrix.a > 0 and matrix.d > 0
            if kind == form and level < _TURN_DEPTH - 1 and (upright or level < _TABLE_DEPTH - 1):
                walk(pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, obj, level + 1)

    try:
        walk(pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, page.raw, 0)
    except _Unsure as unsure:
        upright = False
        table = table or unsure.level < _TABLE_DEPTH
    except Exception:
        table, upright = True, False
    return table, upright


def _may_rule(obj, pdfium_c) -> bool:
    """A path that could be an edge of a table cell (see `_page_objects`); unsure means yes."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    stroke = ctypes.c_float(0)
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return True
    pdfium_c.FPDFPageObj_GetStrokeWidth(obj, stroke)
    if top.value - bottom.value - stroke.value < 2.5:   # the bounds include the line's width
        return False
    count = pdfium_c.FPDFPath_CountSegments(obj)
    return count <= 0 or any(pdfium_c.FPDFPathSegment_GetType(pdfium_c.FPDFPath_GetPathSegment(obj, i))
                             == pdfium_c.FPDF_SEGMENT_LINETO for i in range(count))


def _python_chars(page, textpage, pdfium_c, upright: bool) -> list[tuple] | None:
    """The reference for pdfchars.c. About 1,000 characters a page and each pdfium call costs
    about a microsecond through ctypes, so the loop makes two calls a character: the code points
    come in one call, and rotation is ruled out per text object, not per character."""
    raw, height, box = textpage.raw, page.get_height(), pdfium_c.FS_RECTF()
    count = pdfium_c.FPDFText_CountChars(raw)
    codes = _code_points(raw, count, pdfium_c)
    angle, loose_box, font_size = (pdfium_c.FPDFText_GetCharAngle, pdfium_c.FPDFText_GetLooseCharBox,
                                   pdfium_c.FPDFText_GetFontSize)
    chars = []
    for i, code in enumerate(codes):
        if code in _SPECIAL:
            if code not in (10, 13, 32):
                code = pdfium_c.FPDFText_GetUnicode(raw, i)   # FPDFText_GetText writes 0xFFFE for 2
            if code in (2, 0xAD) and pdfium_c.FPDFText_IsHyphen(raw, i) == 1:
                code = 0x2D   # a hyphen at the end of a line, as drawn
            elif code in (10, 13) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
                continue      # spaces and line breaks pdfium inferred; pdfplumber infers its own from gaps
            elif code != 32:
                return None
        elif not (code <= 0x24F or 0x2000 <= code <= 0x206F):   # Latin scripts, general punctuation
            return None
        if not loose_box(raw, i, box) or (not upright and angle(raw, i) != 0):
            return None
        # pdfminer's box, which pdfplumber's word and line grouping is tuned to: from the descent
        # up one font size (pdfium's loose box goes up to the font's ascent).
        bottom = height - box.bottom
        chars.append((bottom - font_size(raw, i), box.left, box.right, bottom, chr(code)))
    return chars


def _code_points(raw, count: int, pdfium_c) -> list[int]:
    """Every character's code point: one FPDFText_GetText call (UTF-16) when it gives one unit per
    character, else one FPDFText_GetUnicode call each (a character outside the BMP, for one)."""
    buffer = ctypes.create_string_buffer(2 * count + 2)
    written = pdfium_c.FPDFText_GetText(raw, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    if written == count + 1:
        units = memoryview(buffer.raw[:2 * count]).cast("H")
        if not any(0xD800 <= unit <= 0xDFFF for unit in units):
            return list(units)
    return [pdfium_c.FPDFText_GetUnicode(raw, i) for i in range(count)]


def _words(chars: list[tuple]) -> list[tuple]:
    """pdfplumber's word grouping (WordExtractor with x_tolerance 1.5, y_tolerance 3, upright text,
    blank characters ending words), on tuples, into words (x0, x1, top, bottom, text): lines are
    clusters of `top` within the tolerance of the previous value, in order of `top`; characters of
    a line in order of x0; a word ends at a blank, a step back, a gap over the x tolerance or a
    jump over the y tolerance."""
    tops = sorted({c[0] for c in chars})
    line_of, line = {}, 0
    for k, top in enumerate(tops):
        if k and top > tops[k - 1] + _Y_TOLERANCE:
            line += 1
        line_of[top] = line
    lines: dict[int, list[tuple]] = {}
    for c in chars:
        lines.setdefault(line_of[c[0]], []).append(c)
    words: list[list] = []
    for number in sorted(lines):
        word = None   # the word being built; its last character's x0, x1 and top
        for top, x0, x1, bottom, text in sorted(lines[number], key=itemgetter(1)):
            if text.isspace():
                word = None
            elif word is not None and not (x0 < last_x0 or x0 > last_x1 + _X_TOLERANCE
                                           or abs(top - last_top) > _Y_TOLERANCE):
                word[1] = max(word[1], x1)
                word[2] = min(word[2], top)
                word[3] = max(word[3], bottom)
                word[4] += text
            else:   # characters of a line come in order of x0: the first one's x0 is the word's
                word = [x0, x1, top, bottom, text]
                words.append(word)
            last_x0, last_x1, last_top = x0, x1, top
    return [tuple(word) for word in words]


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
    words = [(w["x0"], w["x1"], w["top"], w["bottom"], w["text"])
             for w in page.extract_words(x_tolerance=_X_TOLERANCE, y_tolerance=_Y_TOLERANCE, keep_blank_chars=False)]
    return _compose(lines, [w for w in words if not any(_inside(w, b) for b in boxes)])


def _compose(lines: list[_Line], words: list[tuple]) -> str:
    """Table rows and word lines in reading order, wrapped continuations joined."""
    lines = lines + _word_lines(words)
    lines.sort(key=lambda ln: ln.top)
    return "\n".join(ln.text() for ln in _join_continuations(lines))


def _inside(word: tuple, box) -> bool:
    x0, x1, top, bottom, _ = word
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _word_lines(words: list[tuple]) -> list[_Line]:
    """Words (x0, x1, top, bottom, text) as lines: in order of rounded top then x0, a word joins
    the line whose first word's top is within 2.5 points of its own; in a line, a gap over _GAP
    between neighbours starts a new piece."""
    # the sort keys made by map and zip, not by a Python call a word
    keys = list(zip(map(round, map(_TOP, words)), map(_X0, words)))
    rows: list[list[tuple]] = []
    row_top = 0.0
    for word in map(words.__getitem__, sorted(range(len(words)), key=keys.__getitem__)):
        if rows and abs(row_top - word[2]) <= 2.5:
            rows[-1].append(word)
        else:
            rows.append([word])
            row_top = word[2]
    out = []
    for row in rows:
        row.sort(key=_X0)
        pieces: list[_Piece] = []
        first = 0
        for k in range(1, len(row)):
            if row[k][0] - row[k - 1][1] > _GAP:
                pieces.append(_piece(row[first:k]))
                first = k
        pieces.append(_piece(row[first:]))
        out.append(_Line(min(map(_TOP, row)), max(map(_BOTTOM, row)), pieces))
    return out


_X0, _TOP, _BOTTOM, _TEXT = itemgetter(0), itemgetter(2), itemgetter(3), itemgetter(4)


def _piece(words: list[tuple]) -> _Piece:
    return _Piece(words[0][0], words[-1][1], " ".join(map(_TEXT, words)), list(map(_X0, words)))


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
    if ln.top - prev.bottom > 0.9 * height or abs(ln.x0 - prev.x0) <= _ALIGN:
        return False
    starts = [x for q in prev.pieces for x in q.starts][1:]
    if not all(any(abs(p.x0 - s) <= _ALIGN for s in starts) for p in ln.pieces):
        return False
    # a label column ("Skema : ...") or a value ending mid-phrase: not a new "Label : value" line
    return not any(p.text.rstrip().endswith(":") or " : " in p.text for p in ln.pieces)
