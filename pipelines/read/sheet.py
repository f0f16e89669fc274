"""Participant lists (daftar peserta): xlsx, xlsm, ods, xls (calamine, with openpyxl and xlrd as
second opinions) and csv.

Real files have title rows above the header, merged header cells (a merged cell's value sits
in its first cell only), header wording that varies (see data/header_aliases.yaml), one sheet per
scheme or a scheme column (BNSP's template has both a scheme code and a scheme name column),
instruction and hidden sheets, total/recap/signature rows under the table, and NIKs that Excel
stored as numbers or that were typed with spaces and dots. Every problem is a finding naming the
file, sheet, row and column; the roster keeps what could be read.
"""
from __future__ import annotations

import csv
import functools
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipelines import yamlfile
from pipelines.documents import Roster, RosterRow
from pipelines.findings import Finding
from pipelines.read import nik as nikmod
from pipelines.read import sniff as sn
from pipelines.read.dates import coerce_date, find_dates
from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits
from pipelines.write.words import format_date_id

DATA = Path(__file__).resolve().parents[2] / "data"
HEADER_SCAN_ROWS = 40
FIELD_LABELS = {  # how a finding names a column when the file gives no header text
    "name": "Nama", "nik": "NIK", "result": "Hasil (K/BK)", "scheme": "Skema",
}
_GENERIC_SHEET = re.compile(r"^(sheet|lembar|sheet\s*-?\s*|data|daftar.*|peserta.*|rekap.*|hasil.*|"
                            r"format.*|template.*|lampiran.*)\s*\d*$", re.I)
# Rows under the table: totals, recaps, notes and the signature block end the list.
_FOOTER = re.compile(r"^(jumlah|total|sub\s*total|rekap\w*|mengetahui|diketahui|menyetujui|disetujui|"
                     r"ketua|direktur|manajer|sekretaris|koordinator|kepala|catatan|keterangan|ket\s*:|"
                     r"ditetapkan|dibuat|disahkan|tanda\s*tangan|ttd|nip\b|(belum\s+)?kompeten\s*[:=(]|"
                     r"(k|bk)\s*[:=]|\(\s*\.{3,}|\.{5,}|_{5,})", re.I)
# "Bandung, 10 November 2026" above a signature
_PLACE_AND_DATE_LINE = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,40},\s*\d{1,2}\s+[A-Za-z]+\s+\d{4}$")
# Sheets that explain how to fill the list, show an example, or hold lookup values
_NOT_A_LIST_SHEET = re.compile(r"\b(petunjuk|instruksi|instructions?|panduan|cara\s*pengisian|contoh|example|"
                               r"sample|keterangan|readme|referensi|reference|lookup|master\s*data|"
                               r"daftar\s*pilihan|dropdown|pilihan)\b", re.I)
_EXAMPLE_ROW = re.compile(r"^\s*(contoh|example|misal)\b", re.I)
# A scheme code: upper-case segments joined by dots or slashes ("SKM.NET.03", "KKNI.III.TBG")
_SCHEME_CODE = re.compile(r"\b[A-Z][A-Z0-9]{1,}(?:[./][A-Z0-9]{1,}){1,}\b")
_SCI = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_SCHEME_TITLE = re.compile(r"\bskema(?:\s+sertifikasi)?(?:\s+(?:okupasi|klaster|kkni))?\s*[:\-]\s*(.+)", re.I)
_MARK = {"v", "√", "✓", "✔", "x", "1", "ya", "y", "ok", "*", "xx", "☑", "■", "●"}


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_LOWER = re.compile(r"[^a-z]")
_COLUMN_NUMBER = re.compile(r"\(?\d{1,2}\)?")       # "(1)", "2": a column-number cell
_NIK_SEPARATORS = re.compile(r"[\s.\-_,'`\u200b\u200c\u200d\u2060\ufeff]")
_NOT_DIGIT = re.compile(r"\D")


def _norm(text) -> str:
    return _NOT_ALNUM.sub(" ", str(text).lower()).strip()   # only single spaces are left between words


@functools.lru_cache(maxsize=1)
def header_aliases() -> dict[str, list[str]]:
    raw = yamlfile.safe_load((DATA / "header_aliases.yaml").read_text(encoding="utf-8")) or {}
    return {fieldname: sorted({_norm(a) for a in aliases if _norm(a)}, key=len, reverse=True)
            for fieldname, aliases in raw.items()}


def match_header(text) -> str | None:
    """The canonical field a header cell names, or None."""
    if text is None:
        return None
    t = _norm(text)
    if not t or len(t) > 80:
        return None
    return _match_normalised(t)


@functools.lru_cache(maxsize=4096)
def _match_normalised(t: str) -> str | None:
    exact = _field_of_alias().get(t)
    if exact:
        return exact
    # else the longest alias of four characters or more that is a run of whole words of `t` (the
    # first in the yaml's order among equally long ones): the runs of `t` are looked up, rather
    # than every alias searched for in every cell (most cells are names and numbers, no alias)
    most_words, rank_of = _whole_word_aliases()
    words = t.split(" ")
    best: tuple[int, int, str] | None = None
    for i in range(len(words)):
        for j in range(i + 1, min(i + most_words, len(words)) + 1):
            rank = rank_of.get(" ".join(words[i:j]))
            if rank is not None and (best is None or rank < best):
                best = rank
    return best[2] if best else None


@functools.lru_cache(maxsize=1)
def _field_of_alias() -> dict[str, str]:
    """Each alias and the first field (in header_aliases.yaml's order) that lists it."""
    out: dict[str, str] = {}
    for fieldname, words in header_aliases().items():
        for w in words:
            out.setdefault(w, fieldname)
    return out


@functools.lru_cache(maxsize=1)
def _whole_word_aliases() -> tuple[int, dict[str, tuple[int, int, str]]]:
    """(the most words an alias has, each alias of four characters or more -> its rank: longer
    first, then the yaml's order; and its field)."""
    rank_of: dict[str, tuple[int, int, str]] = {}
    order = 0
    for fieldname, words in header_aliases().items():
        for w in words:
            if len(w) >= 4:
                rank_of.setdefault(w, (-len(w), order, fieldname))
                order += 1
    return max((w.count(" ") + 1 for w in rank_of), default=1), rank_of


def _empty(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    return isinstance(v, float) and math.isnan(v)


def _text(v) -> str:
    if _empty(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat()
    return " ".join(str(v).split())


def col_letter(idx: int) -> str:
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def normalise_result(value) -> str | None:
    """K or BK from the many ways it is written ("K", "Kompeten", "K (Kompeten)", "BK", "B.K.",
    "Belum Kompeten", "Tidak Kompeten", "NYC"); None when unreadable."""
    t = _NOT_LOWER.sub("", str(value).lower())
    if t in ("k", "kompeten", "competent", "c", "kkompeten", "kompetenk"):
        return "K"
    if t in ("bk", "belumkompeten", "blmkompeten", "belumk", "tidakkompeten", "tk", "nyc",
             "notyetcompetent", "belum", "bkompeten", "bkbelumkompeten", "belumkompetenbk"):
        return "BK"
    return None


def normalise_sex(value) -> str:
    t = _NOT_LOWER.sub("", str(value).lower())
    if t in ("l", "lk", "laki", "lakilaki", "pria", "m", "male"):
        return "L"
    if t in ("p", "pr", "perempuan", "wanita", "f", "female", "w"):
        return "P"
    return ""


# --------------------------------------------------------------------------- loading grids


@dataclass
class Grid:
    name: str
    rows: list[list]
    hidden: bool = False


class EncryptedWorkbook(Exception):
    """The workbook is protected by a password."""


def load_grids(data: bytes, media_type: str, limits: ReadLimits = DEFAULT_LIMITS) -> list[Grid]:
    """Every sheet as a list of rows of raw cell values (row 0 = Excel row 1); formula cells give
    the value the spreadsheet program saved. When one engine cannot open the file the others
    installed are tried before the file is called broken. Raises on files none can open."""
    if media_type == sn.CSV or media_type == sn.TEXT:
        return [Grid("CSV", _csv_rows(data, limits))]
    engines = [_calamine_grids, _openpyxl_grids, _xlrd_grids]
    errors: list[Exception] = []
    for engine in engines:
        try:
            return engine(data, limits)
        except MemoryError:
            raise
        except EncryptedWorkbook:
            raise
        except Exception as exc:
            errors.append(exc)
    if any(_is_password_error(e) for e in errors):
        raise EncryptedWorkbook(str(errors[0]))
    raise errors[0]


def _is_password_error(exc: Exception) -> bool:
    import python_calamine
    return isinstance(exc, python_calamine.PasswordError) or "password" in str(exc).lower() \
        or "encrypt" in str(exc).lower()


def _calamine_grids(data: bytes, limits: ReadLimits) -> list[Grid]:
    import python_calamine
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise EncryptedWorkbook(str(exc)) from exc
    grids = []
    for meta in book.sheets_metadata:
        if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
            continue  # chart sheets and macro sheets hold no rows
        sheet = book.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False, nrows=limits.max_sheet_rows)
        hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
        grids.append(Grid(str(meta.name), [[None if v == "" else v for v in r] for r in rows], hidden))
    return grids


def _openpyxl_grids(data: bytes, limits: ReadLimits) -> list[Grid]:
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        grids = []
        for ws in book.worksheets:
            rows = [list(r) for r in ws.iter_rows(max_row=limits.max_sheet_rows, values_only=True)]
            grids.append(Grid(ws.title, rows, ws.sheet_state != "visible"))
        return grids
    finally:
        book.close()


def _xlrd_grids(data: bytes, limits: ReadLimits) -> list[Grid]:
    import xlrd
    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    grids = []
    for i in range(book.nsheets):
        ws = book.sheet_by_index(i)
        rows = []
        for r in range(min(ws.nrows, limits.max_sheet_rows)):
            row = []
            for c in ws.row(r):
                if c.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(c.value, book.datemode))
                elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                else:
                    row.append(c.value)
            rows.append(row)
        grids.append(Grid(ws.name, rows, getattr(ws, "visibility", 0) != 0))
    return grids


def _csv_rows(data: bytes, limits: ReadLimits) -> list[list]:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sum(ln.count(d) for ln in sample.splitlines()) for d in (";", ",", "\t", "|")}
    delim = max(counts, key=counts.get) if any(counts.values()) else ","
    # newline=None: lines may end in CR only (old Mac exports), CRLF or LF
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delim)
    rows = []
    for i, row in enumerate(reader):
        if i >= limits.max_sheet_rows:
            break
        rows.append([c if c.strip() else None for c in row])
    return rows


# --------------------------------------------------------------------------- header detection


@dataclass
class Header:
    row: int                        # 0-based index of the last header row
    columns: dict[str, int]         # field -> column index
    texts: dict[int, str]           # column index -> header text shown in findings
    first_row: int = 0              # 0-based index of the first header row
    evidence: list[str] = field(default_factory=list)


def _row_fields(row: list) -> dict[int, str]:
    out = {}
    for j, v in enumerate(row[:60]):
        if isinstance(v, str):
            f = match_header(v)
            if f:
                out[j] = f
    return out


_RESULT_FIELDS = {"result", "result_k", "result_bk"}  # not "Keterangan": attendance lists have it too


def _is_list_header(names: set[str]) -> bool:
    """A participant list names people and identifies or judges them: a name column plus a NIK or
    a result column. An attendance list (No | Nama | Instansi | Tanda Tangan) is not one."""
    return "name" in names and ("nik" in names or bool(names & _RESULT_FIELDS))


def find_header(rows: list[list]) -> Header | None:
    scanned = [_row_fields(row) for row in rows[:HEADER_SCAN_ROWS]]

    def fields_of(k: int) -> dict[int, str]:
        return dict(scanned[k]) if k < len(scanned) else _row_fields(rows[k])

    best: tuple[int, int, dict[int, str]] | None = None
    for i, fields in enumerate(scanned):
        names = set(fields.values())
        if "name" not in names and "nik" not in names:
            continue
        score = len(names)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, i, dict(fields))
    if best is None:
        return None
    _, i, fields = best
    texts = {j: _text(rows[i][j]) for j in fields}
    first = i
    # A second header row below (e.g. "Hasil" merged over "K" | "BK", or "Data Peserta" merged
    # over "Nama" | "NIK"): take its fields for the columns it names.
    if i + 1 < len(rows):
        below = fields_of(i + 1)
        filled = [j for j, v in enumerate(rows[i + 1][:60]) if not _empty(v)]
        # a continuation of the header holds header words only ("K" | "BK" under "Hasil")
        looks_data = any(j not in below and not _COLUMN_NUMBER.fullmatch(_text(rows[i + 1][j]))
                         for j in filled)
        if below and not looks_data and (set(below.values()) & {"result_k", "result_bk", "name", "nik",
                                                                "birth_date", "birth_place", "sex"}):
            for j, f in below.items():
                if fields.get(j) in (None, "result", "birth_place_date", "result_fallback") or j not in fields:
                    fields[j] = f
                    upper = _text(_ffill_left(rows[i], j))
                    texts[j] = f"{upper} {_text(rows[i + 1][j])}".strip() if upper and fields.get(j) != upper else _text(rows[i + 1][j])
            i += 1
    # A header row above (e.g. "Skema Sertifikasi" merged down over two rows, "Hasil Asesmen"
    # over "Rekomendasi | Tanggal"): its fields fill the columns the chosen row leaves empty.
    if first > 0:
        above = fields_of(first - 1)
        filled = [j for j, v in enumerate(rows[first - 1][:60]) if not _empty(v)]
        header_like = all(j in above or (isinstance(rows[first - 1][j], str) and len(_text(rows[first - 1][j])) <= 40
                                         and not re.search(r"\d{6,}", _text(rows[first - 1][j])))
                          for j in filled)
        if above and header_like and len(filled) >= 2:
            for j, f in above.items():
                if j not in fields and (j >= len(rows[first]) or _empty(rows[first][j])):
                    fields[j] = f
                    texts[j] = _text(rows[first - 1][j])
            first -= 1
    columns: dict[str, int] = {}
    for j, f in sorted(fields.items()):
        columns.setdefault(f, j)
    if not _is_list_header(set(columns)):
        return None
    if "result" not in columns and "result_k" not in columns and "result_fallback" in columns:
        columns["result"] = columns.pop("result_fallback")
    evidence = [f"baris judul kolom di baris {first + 1}: " + ", ".join(texts[j] for j in sorted(texts))]
    return Header(i, columns, texts, first, evidence)


def _ffill_left(row: list, j: int):
    while j >= 0:
        if not _empty(row[j]) if j < len(row) else False:
            return row[j]
        j -= 1
    return None


def scheme_from_title(rows: list[list], upto: int) -> str:
    for row in rows[:upto]:
        for v in row:
            if isinstance(v, str):
                m = _SCHEME_TITLE.search(v)
                if m and m.group(1).strip(" :"):
                    return " ".join(m.group(1).split()).strip(" :")
        # "Skema Sertifikasi" | ":" | "Junior Web Developer" spread over cells
        cells = [_text(v) for v in row if not _empty(v)]
        for k, c in enumerate(cells[:-1]):
            if re.fullmatch(r"skema(\s+sertifikasi)?", c.strip(" :"), re.I):
                rest = [x for x in cells[k + 1:] if x.strip(" :")]
                if rest:
                    return rest[0].strip(" :")
    return ""


@functools.lru_cache(maxsize=256)   # a scheme column repeats one value down the list
def split_scheme(text: str) -> tuple[str, str]:
    """(code, name) of a scheme as a cell writes it: "SKM.NET.03 - Teknisi Jaringan Muda",
    "Tata Boga (KKNI.III.TBG)", "TIK.JWD.01" or "Junior Web Developer"."""
    text = " ".join(str(text).split())
    m = _SCHEME_CODE.search(text)
    if not m:
        return "", text
    name = (text[:m.start()] + " " + text[m.end():]).strip()
    name = _EMPTY_PARENTHESES.sub("", name)
    name = " ".join(name.strip(" -–—:|/,()").split())
    return m.group(0), name


_EMPTY_PARENTHESES = re.compile(r"\(\s*\)")
_TWO_DIGIT_DMY = re.compile(r"\b(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{2})\b(?!\s*[-/.]?\d)")


def split_place_date(value) -> tuple[str, date | None]:
    """Birth place and date from one cell: "Bandung, 12-05-1990", "Bandung / 12 Mei 1990",
    "Bandung 12/05/90", "BANDUNG, 1990-05-12"; a date cell gives the date only."""
    if isinstance(value, (datetime, date)) or hasattr(value, "to_pydatetime"):
        return "", coerce_date(value)
    text = _text(value)
    found = find_dates(text)
    if found:
        pos, born = found[0]
    else:
        m = _TWO_DIGIT_DMY.search(text)
        if not m:
            return text.strip(" ,/;-"), None
        yy = int(m.group(4))
        year = 2000 + yy if yy <= datetime.now().year % 100 else 1900 + yy
        try:
            pos, born = m.start(), date(year, int(m.group(3)), int(m.group(1)))
        except ValueError:
            return text, None
    return text[:pos].strip(" ,/;-"), born


# --------------------------------------------------------------------------- rows


@dataclass
class SheetResult:
    rows: list[RosterRow]
    findings: list[Finding]
    evidence: list[str]


NIK_MAYBE_CUT = "NIK_MUNGKIN_TERPOTONG"


def _nik_intact_number(digits: str, where: str, label: str) -> Finding:
    return Finding.warning(
        "NIK_TERSIMPAN_ANGKA",
        f"NIK di {label} disimpan sebagai angka, bukan teks; nilainya masih utuh, "
        f"tetapi sebaiknya kolom NIK diformat sebagai Teks.", where=where, nik=digits)


def _nik_precision_lost(digits: str, where: str, label: str) -> Finding:
    return Finding.error(
        "NIK_PRESISI_HILANG",
        f"NIK di {label} disimpan sebagai angka ({digits}); Excel hanya menyimpan 15 digit "
        f"sehingga digit terakhir hilang atau berubah menjadi 0. Format kolom NIK sebagai Teks "
        f"lalu ketik ulang NIK sesuai KTP.", where=where, nik=digits)


def settle_numeric_niks(findings: list[Finding]) -> list[Finding]:
    """Numeric NIKs ending in 0, judged on the whole list: where other numeric NIKs in the file
    kept all 16 digits, the file stores full numbers and these are intact too; where two or more
    numeric NIKs all end in 0, Excel cut them; a single one stays for an officer to compare."""
    maybe = [f for f in findings if f.code == NIK_MAYBE_CUT]
    if not maybe:
        return findings
    if any(f.code == "NIK_TERSIMPAN_ANGKA" for f in findings):
        settled = {id(f): _nik_intact_number(f.details["nik"], f.where, f.details["label"]) for f in maybe}
    elif len(maybe) >= 2:
        settled = {id(f): _nik_precision_lost(f.details["nik"], f.where, f.details["label"]) for f in maybe}
    else:
        return findings
    return [settled.get(id(f), f) for f in findings]


def _nik_from_cell(value, where: str, label: str) -> tuple[str, list[Finding]]:
    """The NIK as text, with findings when Excel damaged it."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return "", [Finding.error(
                "NIK_TIDAK_VALID", f"NIK di {label} bukan 16 digit angka ({value}).", where=where)]
        n = int(value)
        digits = str(n)
        lost = (isinstance(value, float) and abs(value) > 2 ** 53) or len(digits) > 16
        if len(digits) == 16 and not lost and n % 10 != 0:
            return digits, [_nik_intact_number(digits, where, label)]
        if len(digits) == 16 and not lost and digits[-4:] != "0000":
            # Excel keeps 15 digits, so a typed NIK ends in 0; but one NIK in ten really ends in 0
            # (serial 0010). The whole list decides (see `settle_numeric_niks`). Serial 0000 does
            # not exist: that one surely lost digits.
            return digits, [Finding.warning(
                NIK_MAYBE_CUT,
                f"NIK di {label} disimpan sebagai angka ({digits}) dan berakhiran 0; bila diketik di "
                f"Excel sebagai angka, digit terakhirnya hilang. Mohon petugas mencocokkan dengan KTP.",
                where=where, nik=digits, label=label)]
        if len(digits) >= 16:
            return digits, [_nik_precision_lost(digits, where, label)]
        return digits, [Finding.error(
            "NIK_NOL_DEPAN_HILANG",
            f"NIK di {label} disimpan sebagai angka dan hanya {len(digits)} digit ({digits}); angka nol "
            f"di depan kemungkinan hilang. Format kolom NIK sebagai Teks lalu ketik ulang NIK sesuai KTP.",
            where=where, nik=digits)]
    text = str(value).strip().lstrip("'`").strip()
    if _SCI.match(text.replace(" ", "")):
        return "", [Finding.error(
            "NIK_NOTASI_ILMIAH",
            f"NIK di {label} tertulis dalam notasi ilmiah ({text}); digitnya sudah hilang. Format kolom "
            f"NIK sebagai Teks lalu ketik ulang NIK sesuai KTP.", where=where, value=text)]
    # typed in groups: spaces (also non-breaking and zero-width), dots, dashes, underscores
    compact = _NIK_SEPARATORS.sub("", text)
    if compact.endswith(".0") and compact[:-2].isdigit():
        compact = compact[:-2]
    return compact, []


def _nik_birth_text(parts) -> str:
    """The NIK's birth date in the long Indonesian form ("14 Agustus 2000"); the NIK gives two digits
    of the year, taken in the latest century not after this year."""
    from datetime import date
    year = 2000 + parts.yy if 2000 + parts.yy <= date.today().year else 1900 + parts.yy
    try:
        return format_date_id(date(year, parts.month, parts.day))
    except ValueError:
        return f"{parts.day:02d}-{parts.month:02d}-{parts.yy:02d}"


def _check_nik(nik: str, row: RosterRow, where: str, label: str) -> list[Finding]:
    if len(nik) != 16 or not nik.isdigit():
        return [Finding.error(
            "NIK_TIDAK_VALID",
            f"NIK di {label} harus 16 digit angka; tertulis \"{nik}\" ({len(nik)} karakter).",
            where=where, nik=nik)]
    out: list[Finding] = []
    parts = nikmod.split(nik)
    provinces = nikmod.province_codes()
    if parts.province not in provinces:
        out.append(Finding.error(
            "NIK_PROVINSI_TIDAK_VALID",
            f"NIK di {label} diawali kode provinsi {parts.province} yang tidak ada; mohon periksa NIK sesuai KTP.",
            where=where, nik=nik))
    if not nikmod.birth_date_valid(parts):
        out.append(Finding.error(
            "NIK_TANGGAL_TIDAK_VALID",
            f"NIK di {label} memuat tanggal lahir yang tidak mungkin (digit 7-12: {nik[6:12]}); "
            f"mohon periksa NIK sesuai KTP.", where=where, nik=nik))
        return out
    if row.birth_date and not nikmod.matches_birth_date(parts, row.birth_date):
        out.append(Finding.error(
            "NIK_TANGGAL_LAHIR_TIDAK_SESUAI",
            f"NIK di {label} memuat tanggal lahir {_nik_birth_text(parts)}, sedangkan kolom tanggal lahir "
            f"berisi {format_date_id(row.birth_date)}; mohon perbaiki NIK atau tanggal lahir sesuai KTP.",
            where=where, nik=nik, birth_date=row.birth_date.isoformat(), row=row.row, sheet=row.sheet))
    if row.sex and (row.sex == "P") != parts.female:
        out.append(Finding.error(
            "NIK_JENIS_KELAMIN_TIDAK_SESUAI",
            f"NIK di {label} menunjukkan jenis kelamin "
            f"{'perempuan' if parts.female else 'laki-laki'} (tanggal lahir "
            f"{'ditambah 40' if parts.female else 'tanpa tambahan 40'}), sedangkan kolom jenis kelamin berisi {row.sex}; "
            f"mohon perbaiki NIK atau jenis kelamin sesuai KTP.",
            where=where, nik=nik, row=row.row, sheet=row.sheet))
    return out


def read_sheet(grid: Grid, filename: str, multi_sheet: bool,
               formula_at=lambda sheet, row, col: "") -> SheetResult | None:
    """Rows of one sheet; None when the sheet has no participant header (e.g. an instructions sheet)."""
    rows = grid.rows
    header = find_header(rows)
    if header is None:
        return None
    findings: list[Finding] = []
    evidence = list(header.evidence)
    cols = header.columns
    sheet_label = f"lembar {grid.name}" if grid.name != "CSV" else ""

    def where(r: int, c: int | None = None) -> str:
        parts = [filename]
        if sheet_label:
            parts.append(sheet_label)
        parts.append(f"baris {r + 1}")
        if c is not None:
            parts.append(f"kolom {col_letter(c)} ({header.texts.get(c) or ''})".replace(" ()", ""))
        return ", ".join(parts)

    def label(r: int, c: int) -> str:
        return _within_file(where(r, c))

    has_result = "result" in cols or "result_k" in cols or "result_bk" in cols
    for fieldname in ("name", "nik"):
        if fieldname not in cols:
            findings.append(Finding.error(
                "KOLOM_WAJIB_TIDAK_ADA",
                f"Daftar peserta {filename}" + (f" {sheet_label}" if sheet_label else "") +
                f" tidak memiliki kolom {FIELD_LABELS[fieldname]}.", where=filename, column=fieldname))
    if not has_result:
        findings.append(Finding.error(
            "KOLOM_WAJIB_TIDAK_ADA",
            f"Daftar peserta {filename}" + (f" {sheet_label}" if sheet_label else "") +
            " tidak memiliki kolom hasil (K/BK).", where=filename, column="result"))

    title_scheme = scheme_from_title(rows, header.first_row)
    sheet_scheme = "" if (_GENERIC_SHEET.match(grid.name.strip()) or grid.name == "CSV") else grid.name.strip()
    default_scheme = split_scheme(title_scheme or sheet_scheme)
    if title_scheme:
        evidence.append(f"skema dari judul lembar: {title_scheme}")
    elif sheet_scheme and "scheme" not in cols and "scheme_code" not in cols:
        evidence.append(f"skema dari nama lembar: {sheet_scheme}")

    out: list[RosterRow] = []
    last_code, last_name = default_scheme
    for r in range(header.row + 1, len(rows)):
        row = rows[r]

        def cell(fieldname):
            j = cols.get(fieldname)
            return row[j] if j is not None and j < len(row) else None

        non_empty = [v for v in row if not _empty(v)]
        if not non_empty:
            continue
        name_v, nik_v = cell("name"), cell("nik")
        name_t = _text(name_v)
        if _empty(name_v) and _empty(nik_v):
            continue  # pre-numbered template rows, column-number rows, spacing
        first_text = _text(non_empty[0])
        if _is_footer(name_t, first_text, nik_v):
            break  # totals, recap, notes or signature: the list has ended
        if _EXAMPLE_ROW.match(name_t) or _EXAMPLE_ROW.match(_text(cell("number"))):
            continue  # "Contoh: Budi Santoso" left from the template
        if all(_COLUMN_NUMBER.fullmatch(_text(v)) for v in non_empty) and len(non_empty) >= 3:
            continue  # "(1) (2) (3)" column-number row under the header
        rr = RosterRow(sheet=grid.name, row=r + 1, number=_text(cell("number")), name=name_t)
        # scheme: code and name columns (merged cells repeat the last value), else title / sheet name
        scheme_cell, code_cell = _text(cell("scheme")), _text(cell("scheme_code"))
        if scheme_cell:
            code, last_name = split_scheme(scheme_cell)
            if code or "scheme_code" not in cols:
                last_code = code
        if code_cell:
            last_code = code_cell
        rr.scheme_code, rr.scheme_name = last_code, last_name
        rr.scheme = last_name or last_code
        # birth date and sex first: the NIK is checked against them
        bd = cell("birth_date")
        if not _empty(bd):
            rr.birth_date = coerce_date(bd)
        if not _empty(cell("birth_place_date")):
            place, born = split_place_date(cell("birth_place_date"))
            rr.birth_date = rr.birth_date or born
            if place:
                rr.extra.setdefault("birth_place", place)
        if not _empty(cell("sex")):
            rr.sex = normalise_sex(cell("sex"))
        # result
        if "result" in cols:
            raw = cell("result")
            if _empty(raw):
                findings.append(_empty_or_formula(formula_at(grid.name, r, cols["result"]), where(r, cols["result"]),
                                                  label(r, cols["result"]), "hasil (K/BK)"))
            else:
                res = normalise_result(raw)
                if res is None:
                    findings.append(Finding.error(
                        "HASIL_TIDAK_DIKENALI",
                        f"Hasil di {label(r, cols['result'])} tertulis \"{_text(raw)}\"; isi dengan K "
                        f"(Kompeten) atau BK (Belum Kompeten).", where=where(r, cols["result"]), value=_text(raw)))
                else:
                    rr.result = res
        elif "result_k" in cols or "result_bk" in cols:
            k = cell("result_k")
            bk = cell("result_bk")
            k_on = not _empty(k) and _norm(k) not in ("", "0", "-", "tidak", "no")
            bk_on = not _empty(bk) and _norm(bk) not in ("", "0", "-", "tidak", "no")
            c = cols.get("result_k", cols.get("result_bk"))
            if k_on == bk_on:
                findings.append(Finding.error(
                    "HASIL_TIDAK_DIKENALI",
                    f"Hasil di {label(r, c)} " + ("ditandai K dan BK sekaligus" if k_on else "tidak ditandai K maupun BK") +
                    "; tandai salah satu.", where=where(r, c)))
            else:
                rr.result = "K" if k_on else "BK"
        # required cells
        if _empty(name_v) and "name" in cols:
            findings.append(_empty_or_formula(formula_at(grid.name, r, cols["name"]), where(r, cols["name"]),
                                              label(r, cols["name"]), "nama"))
        if "nik" in cols:
            if _empty(nik_v):
                findings.append(_empty_or_formula(formula_at(grid.name, r, cols["nik"]), where(r, cols["nik"]),
                                                  label(r, cols["nik"]), "NIK"))
            else:
                nik_where = where(r, cols["nik"])
                nik_label = _within_file(nik_where)
                nik, nf = _nik_from_cell(nik_v, nik_where, nik_label)
                findings.extend(nf)
                rr.nik = nik
                if nik and not any(f.is_error for f in nf):
                    findings.extend(_check_nik(nik, rr, nik_where, nik_label))
        for extra in ("assessment_date", "registration", "birth_place"):
            value = cell(extra)
            if not _empty(value):
                rr.extra[extra] = _text(value) if extra != "assessment_date" else (
                    (coerce_date(value) or _text(value)).__str__())
        out.append(rr)
    if not out:
        findings.append(Finding.error(
            "DAFTAR_PESERTA_KOSONG",
            f"Daftar peserta {filename}" + (f" {sheet_label}" if sheet_label else "") +
            " tidak berisi satu pun peserta di bawah baris judul kolom.", where=filename))
    if out and not any(r.scheme for r in out) and "scheme" not in cols:
        findings.append(Finding.warning(
            "SKEMA_TIDAK_DIKETAHUI",
            f"Skema sertifikasi untuk {filename}" + (f" {sheet_label}" if sheet_label else "") +
            " tidak dapat ditentukan (tidak ada kolom skema, judul skema, atau nama lembar yang menyebut skema).",
            where=filename))
    return SheetResult(out, findings, evidence)


def _within_file(place: str) -> str:
    """A place in a file ("x.xlsx, baris 3, kolom C (NIK)") without the file's name."""
    return place.split(", ", 1)[1] if ", " in place else place


def _is_footer(name: str, first_text: str, nik_value) -> bool:
    """A total, recap, note or signature line under the table (never a row carrying a NIK)."""
    if len(_NOT_DIGIT.sub("", _text(nik_value))) >= 12:
        return False
    return any(_FOOTER.match(t) or _PLACE_AND_DATE_LINE.match(t) for t in (name, first_text) if t)


FORMULA_WITHOUT_VALUE = "RUMUS_TANPA_NILAI"


def _empty_or_formula(formula: str, where: str, label: str, what: str) -> Finding:
    """An empty required cell; but a formula whose value the file does not hold (written by a
    program that does not calculate) is not surely empty: an officer opens the file."""
    if formula:
        shown = formula if len(formula) <= 80 else formula[:77] + "..."
        return Finding.warning(
            FORMULA_WITHOUT_VALUE,
            f"Kolom {what} di {label} berisi rumus ({shown.lstrip('=')}) yang hasilnya tidak tersimpan di "
            f"berkas; petugas perlu membuka berkas untuk memeriksa isinya.", where=where, formula=shown)
    return _empty_cell(where, label, what)


def _xlsx_formulas(data: bytes):
    """formula_at(sheet, row, col) for an xlsx, read with openpyxl on first use only."""
    cache: dict[str, dict[tuple[int, int], str]] | None = None

    def formula_at(sheet: str, row: int, col: int) -> str:
        nonlocal cache
        if cache is None:
            cache = {}
            try:
                import openpyxl
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
                try:
                    for ws in book.worksheets:
                        cache[ws.title] = {
                            (i, j): v for i, values in enumerate(ws.iter_rows(values_only=True))
                            for j, v in enumerate(values) if isinstance(v, str) and v.startswith("=")}
                finally:
                    book.close()
            except Exception:
                pass
        return cache.get(sheet, {}).get((row, col), "")

    return formula_at


def _empty_cell(where: str, label: str, what: str) -> Finding:
    return Finding.error("SEL_WAJIB_KOSONG", f"Kolom {what} kosong di {label}; mohon dilengkapi.", where=where)


def duplicate_niks(rows: list[RosterRow], filename: str) -> list[Finding]:
    """The same NIK twice for the same scheme in one file."""
    seen: dict[tuple[str, str], RosterRow] = {}
    out = []
    for r in rows:
        if len(r.nik) != 16:
            continue
        key = (_norm(r.scheme), r.nik)
        if key in seen:
            first = seen[key]
            out.append(Finding.error(
                "NIK_GANDA",
                f"NIK {r.nik} tercantum dua kali untuk skema yang sama: lembar {first.sheet} baris "
                f"{first.row} ({first.name}) dan lembar {r.sheet} baris {r.row} ({r.name}).",
                where=f"{filename}, lembar {r.sheet}, baris {r.row}", nik=r.nik,
                rows=[first.row, r.row]))
        else:
            seen[key] = r
    return out


_NIK_DISAGREES = {"NIK_TANGGAL_LAHIR_TIDAK_SESUAI", "NIK_JENIS_KELAMIN_TIDAK_SESUAI"}


def fold_copied_niks(findings: list[Finding], duplicates: list[Finding]) -> list[Finding]:
    """A NIK copied onto a second person also disagrees with that person's birth date and sex:
    one problem, one line. The disagreement is said in the duplicate's line instead of its own."""
    out = [f for f in findings]
    for dup in duplicates:
        rows = set(dup.details.get("rows", []))
        consequences = [f for f in out if f.code in _NIK_DISAGREES and f.details.get("nik") == dup.details.get("nik")
                        and f.details.get("row") in rows]
        if not consequences:
            out.append(dup)
            continue
        out = [f for f in out if f not in consequences]
        wrong_rows = sorted({f.details["row"] for f in consequences})
        out.append(Finding(dup.code, dup.severity, dup.message + " NIK tersebut tidak cocok dengan tanggal lahir "
                           "atau jenis kelamin peserta di baris " + ", ".join(map(str, wrong_rows)) +
                           " (kemungkinan salah salin); mohon perbaiki sesuai KTP.", dup.where, dup.details))
    return out


def read_roster(data: bytes, media_type: str, filename: str,
                limits: ReadLimits = DEFAULT_LIMITS) -> tuple[Roster | None, list[Finding], list[str]]:
    """(roster or None when no sheet has a participant header, findings, evidence). Never raises."""
    try:
        grids = load_grids(data, media_type, limits)
    except MemoryError:
        raise
    except EncryptedWorkbook:
        return None, [Finding.error(
            "BERKAS_TERENKRIPSI",
            f"Berkas {filename} dilindungi kata sandi sehingga tidak dapat dibaca; mohon kirim ulang "
            f"tanpa kata sandi.", where=filename)], []
    except Exception as exc:
        return None, [Finding.error(
            "BERKAS_EXCEL_RUSAK",
            f"Berkas {filename} tidak dapat dibuka sebagai lembar kerja ({type(exc).__name__}); "
            f"mohon kirim ulang dalam format Excel (.xlsx).", where=filename, error=str(exc)[:200])], []
    roster = Roster(source=filename)
    findings: list[Finding] = []
    evidence: list[str] = []
    found = False
    formula_at = _xlsx_formulas(data) if media_type == sn.XLSX else (lambda sheet, row, col: "")
    # hidden sheets and instruction/example/lookup sheets are not the list the LSP means
    grids = [g for g in grids if not g.hidden and not _NOT_A_LIST_SHEET.search(g.name)] or \
        [g for g in grids if not g.hidden]
    for g in grids:
        res = read_sheet(g, filename, multi_sheet=len(grids) > 1, formula_at=formula_at)
        if res is None:
            continue
        found = True
        roster.rows.extend(res.rows)
        findings.extend(res.findings)
        evidence.extend(f"{g.name}: {e}" if len(grids) > 1 else e for e in res.evidence)
    if not found:
        return None, [], []
    findings = fold_copied_niks(settle_numeric_niks(findings), duplicate_niks(roster.rows, filename))
    return roster, findings, evidence
