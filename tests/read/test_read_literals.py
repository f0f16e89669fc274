"""The readers' fast paths find exactly what the plain regular expressions find (and a header
cell's field is what the plain alias scan finds).

Recognition and fact patterns skip texts that lack a word every match needs (literals.py), and a
few fact patterns were rewritten so the regex engine scans faster. These tests compare, match by
match, each fast form with the plain form on documents written by others (../shared/corpora),
on our generated dossiers, and on the same texts made awkward: shouted, wrapped, cut after a
needed word, and spelled with the non-ASCII letters re.IGNORECASE takes for ASCII ones.
"""
from __future__ import annotations

import re

import pytest
from read_builders import corpora_dir, decision_lines, letter_lines, minutes_lines, receipt_lines

from pipelines.read import counts, facts, recognise
from pipelines.read.literals import Anchored, Prefiltered, fold, leading_words, one_line, required_words
from tests.factories import complete_request_mail

# The patterns as they were before the engine-friendly rewrite (same language, slower scan).
ORIGINAL = {
    "_N_KOMP": counts._N_KOMP.pattern.replace(r"(\d(?<![\w./-]\d)\d{0,4})", r"(?<![\w./-])(\d{1,5})"),
    "_KOMP_LABEL": counts._KOMP_LABEL.rx.pattern.replace("(?=[jaypbtk])", "", 1),
    "_CODED": facts._CODED.rx.pattern.replace(r"([A-Z0-9](?<![\w.][A-Z0-9])[A-Z0-9]{0,11}", r"(?<![\w.])([A-Z0-9]{1,12}"),
}


def _texts() -> list[str]:
    from pipelines.read.document import read_inprocess
    from pipelines.read.limits import ReadLimits
    from pipelines.read.mail import walk

    texts = ["\n".join(lines) for lines in (letter_lines(), decision_lines(), minutes_lines(), receipt_lines())]
    raws = [complete_request_mail(lsp, seed=seed, n_k=5 + seed % 4, n_bk=seed % 3)
            for seed, lsp in enumerate(["LSP-001", "LSP-002", "LSP-003"] * 2)]
    corpora = corpora_dir()
    if corpora is not None:
        raws += [p.read_bytes() for p in sorted((corpora / "bnsp-requests-v1").glob("*.eml"))]
    for raw in raws:
        for attachment in walk(raw, ReadLimits()).attachments:
            text = read_inprocess(attachment, ReadLimits()).text
            if text:
                texts.append(text)
    return texts


def _awkward(text: str) -> list[str]:
    """The text, and the same text in the shapes an unseen document may take."""
    out = [text, text.upper(), text.lower(), " ".join(text.split()), text.replace(" ", "\n"),
           text.replace("s", "\u017f").replace("k", "\u212a"),          # ſ and the Kelvin sign
           text.replace("i", "\u0131").replace("I", "\u0130"),          # dotless i and dotted I
           "İ" + text.replace("a", "A", 3)]
    for word in ("skema", "kompeten", "tanggal", "blanko", "sebanyak", "keputusan", "nomor"):
        at = text.lower().find(word)
        if at >= 0:
            out += [text[:at + len(word)], text[at:], text[at + 1:]]   # cut after, from, inside the word
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [variant for text in _texts() for variant in _awkward(text)]


def _prefiltered() -> dict[str, Prefiltered]:
    found = {}
    for module in (facts, counts):
        for name, value in vars(module).items():
            for n, item in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(item, Prefiltered):
                    found[f"{module.__name__}.{name}[{n}]"] = item
    for doc_type, spec in recognise.rules()["doc_types"].items():
        for n, (phrase, _) in enumerate(spec["compiled"]):
            found[f"recognition {doc_type}[{n}]"] = phrase
    return found


def _matches(found) -> list:
    return [(m.span(), m.groups()) for m in found]


def test_fold_covers_every_character_ignorecase_takes_for_ascii():
    ascii_ = re.compile(r"[\x00-\x7f]", re.I)
    for cp in range(0x80, 0x110000):
        ch = chr(cp)
        if ascii_.fullmatch(ch):
            folded = fold(ch)
            assert folded.isascii() and re.fullmatch(re.escape(folded), ch, re.I), hex(cp)


@pytest.mark.parametrize("name", sorted(_prefiltered()))
def test_prefiltered_pattern_finds_what_the_plain_pattern_finds(name, texts):
    pattern = _prefiltered()[name]
    assert pattern.needs or pattern.starts, f"{name} names no word: the prefilter would do nothing"
    for text in texts:
        assert _matches(pattern.finditer(text)) == _matches(pattern.rx.finditer(text)), (name, text[:200])
        m, plain = pattern.search(text), pattern.rx.search(text)
        assert (m and (m.span(), m.groups())) == (plain and (plain.span(), plain.groups())), (name, text[:200])
        lines = pattern.lines_that_may_match(text)
        assert [ln for ln in text.splitlines() if pattern.rx.search(ln)] == [ln for ln in lines if pattern.rx.search(ln)]


@pytest.mark.parametrize("name", sorted(ORIGINAL))
def test_rewritten_pattern_matches_as_the_original(name, texts):
    module = counts if hasattr(counts, name) else facts
    fast = getattr(module, name)
    fast = fast.rx if isinstance(fast, Anchored) else fast
    plain = re.compile(ORIGINAL[name], fast.flags)
    assert plain.pattern != fast.pattern
    edge_cases = ["K: 5", "(K): 5", "x.5 kompeten", "1K", "5 K", "\u212a: 3", "BK = 2 | 3", "12 (dua belas) orang kompeten",
                  "TIK.JWD.01 - Junior Web Developer", "xTIK.JWD.01 - A b c", ".A.B - Cde", "A.B - Cde", "7/3 BK"]
    for text in texts + edge_cases + [" ".join(t.split()) for t in texts]:
        assert _matches(fast.finditer(text)) == _matches(plain.finditer(text)), (name, text[:200])


# Matches that put the anchor as far from their start as the pattern allows (the stated reach).
_FARTHEST = ["jumlah peserta yang belum kompeten ( bk ) : 5", "x Jumlah Asesi Yang Tidak Kompeten (K) = 12 (dua belas)",
             "K: 5 dan BK | 2", "ABCDEFGHIJKL" + ".ABCDEFGHIJKL" * 6 + " - Teknisi Jaringan Muda",
             "ABCDEFGHIJKLM" + ".ABCDEFGHIJKL" * 6 + " - Terlalu Panjang", "SKM.NET.03 – Teknisi, TIK.JWD.01 - Junior Web"]


@pytest.mark.parametrize("name", ["counts._KOMP_LABEL", "facts._CODED"])
def test_anchored_pattern_finds_what_the_plain_pattern_finds(name, texts):
    """Searched from shortly before each anchor, on one-line text, the matches are the plain
    pattern's, the farthest-reaching ones included."""
    module, attribute = name.split(".")
    pattern = getattr({"counts": counts, "facts": facts}[module], attribute)
    assert isinstance(pattern, Anchored)
    farthest = [one_line(t) for t in _FARTHEST]
    assert any(_matches(pattern.rx.finditer(t)) for t in farthest)
    for text in farthest + [one_line(t) for t in texts]:
        assert _matches(pattern.finditer(text)) == _matches(pattern.rx.finditer(text)), (name, text[:200])


def test_required_and_leading_words_of_recognition_phrases():
    assert required_words(r"perihal\s*:?\s*permohonan", re.I) == (frozenset({"permohonan"}), frozenset({"perihal"}))
    assert required_words(r"asesmen|uji\s+kompetensi", re.I) == (frozenset({"asesmen", "kompetensi"}),)
    assert leading_words(r"(?:kami\s+)?mengajukan\s+permohonan", re.I) == {"kami", "mengajukan"}
    assert leading_words(r"^\s*keputusan\b", re.I | re.M) == frozenset()   # may start with spaces
    assert required_words(r"[a-z]+\d", re.I) == ()
    assert required_words("x\u212ay|abc", re.I) == ()                        # a non-ASCII literal: no claim


def test_recognition_is_the_plain_search(texts):
    """Every phrase's evidence and score as the plain search gives them."""
    def plain(text: str, filename: str):
        head = text[:int(recognise.rules().get("title_chars", 700))]
        out = {}
        for doc_type, spec in recognise.rules()["doc_types"].items():
            hits = []
            for phrase, weight in spec["compiled"]:
                m = phrase.rx.search(text)
                if m:
                    hits.append((" ".join(m.group(0).split()), bool(phrase.rx.search(head)), weight))
            out[doc_type] = sum(2 * w if in_head else w for _, in_head, w in hits)
        return out

    for text in texts:
        assert {k: v for k, v in recognise.recognise(text, "").scores.items()} == plain(text, "")


def test_header_cell_matching_is_the_plain_scan():
    """A header cell's field, found by looking its text and its runs of words up in the alias
    dictionaries, is what the plain scan (exact alias in yaml order, else the longest whole-word
    alias) finds."""
    from pipelines.read import sheet

    def plain(t: str):
        for fieldname, words in sheet.header_aliases().items():
            if t in words:
                return fieldname
        best = None
        for fieldname, words in sheet.header_aliases().items():
            for w in words:
                if len(w) >= 4 and (best is None or len(w) > best[0]) and re.search(rf"(?:^| ){re.escape(w)}(?: |$)", t):
                    best = (len(w), fieldname)
        return best[1] if best else None

    aliases = [w for words in sheet.header_aliases().values() for w in words]
    cells = set(aliases)
    for w in aliases:
        cells |= {f"no {w}", f"{w} peserta", f"{w}x", f"x{w}", w[:-1], w[1:], f"{w} {w}", w.replace(" ", "")}
        for v in aliases[:20]:
            cells |= {f"{w} {v}", f"{v} dan {w}"}
    for raw in ("Nama Lengkap", "NIK (16 digit)", "Rekomendasi (K/BK)", "Tanggal Asesmen", "Data Asesi", "No.",
                "Tempat, Tgl Lahir", "Nyoman Pratama", "6103370804753687", "Jenis Kelamin (L/P)", "Keterangan"):
        cells.add(sheet._norm(raw))
    cells = sorted(c for c in cells if c)
    assert [sheet._match_normalised.__wrapped__(c) for c in cells] == [plain(c) for c in cells]


_EDGES = ["Dengan ini MENETAPKANLAH hal berikut; kami menetapkan: satu",
          "SURAT KEPUTUSAN\nkeputusan\nKeputusan ketua",
          "berita  acara\nberita acara asesmen uji kompetensi",
          "blanko sertifikat sebanyak 10 blanko", "x" * 30 + " tanda terima",
          "Kepada Yth. Perihal: Permohonan pengiriman blanko. Hal : permohonan. Dengan hormat, kami "
          "mengajukan permohonan. Pada hari ini telah dilaksanakan asesmen oleh asesor di TUK. "
          "Menimbang, mengingat, memutuskan, menetapkan; ditetapkan di Bandung. Daftar nama peserta, NIK, "
          "belum kompeten. Yang menyerahkan, yang menerima: penerima; telah diterima."]


@pytest.mark.parametrize("pattern, flags", [
    (r"menetapkan\b", re.I), (r"\bkeputusan$", re.I | re.M), (r"berita\s+acara(?=\s+asesmen)", re.I),
    (r"blanko\s+\w+", re.I), (r"(?:tanda|acara)\s+(?!x)\w+", re.I), (r"kepu(?<=kepu)tusan\Z", re.I),
] + [(phrase.rx.pattern, phrase.rx.flags) for spec in recognise.rules()["doc_types"].values()
     for phrase, _ in spec["compiled"]])
def test_a_phrase_in_the_head_is_the_search_of_the_head(pattern, flags, texts):
    """recognise asks whether a phrase found in the text is also in its head (the title): a match
    ending inside the head answers yes without a second search, unless the pattern looks ahead.
    Cut at every place around the first match, the answer is the head's own search."""
    rx = Prefiltered(pattern, flags)
    compared = 0
    for text in _EDGES + texts[::7]:
        m = rx.search(text)
        if m is None:
            continue
        for cut in range(max(0, m.start() - 2), min(len(text), m.end() + 3) + 1):
            head = text[:cut]
            assert rx.found_in_head(m, head) == (rx.rx.search(head) is not None), (pattern, text[:60], cut)
            compared += 1
    assert compared
