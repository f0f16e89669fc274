"""Which document is this? Decided by the words in it (data/recognition.yaml); the file name
is a hint that content overrides. The evidence says which words decided."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import yamlfile
from pipelines.documents import OTHER, PARTICIPANT_LIST
from pipelines.read.literals import Prefiltered

DATA = Path(__file__).resolve().parents[2] / "data"


@dataclass
class Recognition:
    doc_type: str
    score: int
    evidence: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    filename_hint: str = ""   # the type the name alone suggests ("" when none)
    runner_up: str = ""


@functools.lru_cache(maxsize=1)
def rules() -> dict:
    raw = yamlfile.safe_load((DATA / "recognition.yaml").read_text(encoding="utf-8"))
    for spec in raw["doc_types"].values():
        spec["compiled"] = [(Prefiltered(p["pattern"], re.I | re.M), int(p.get("weight", 1)))
                            for p in spec.get("phrases", [])]
    return raw


def label(doc_type: str) -> str:
    spec = rules()["doc_types"].get(doc_type)
    return spec.get("label", doc_type) if spec else "Dokumen lain"


def name_words_in(filename: str, words) -> list[str]:
    """Those of `words` a file's name contains, underscores and hyphens read as spaces (a
    service's checklist item names its document by such words: `filename` in services/*.yaml)."""
    name = filename.lower().replace("_", " ").replace("-", " ")
    return [word for word in words or [] if str(word).lower() in name]


def filename_hint(filename: str) -> str:
    name = filename.lower().replace("_", " _").replace("-", " -")
    name = " " + name
    words = name.split()
    best, hits = "", 0
    for doc_type, spec in rules()["doc_types"].items():
        n = sum(1 for w in spec.get("filename", []) if w.lower() in name or w.lower().strip() in words)
        if n > hits:
            best, hits = doc_type, n
    return best


def recognise(text: str, filename: str, has_roster: bool = False, roster_evidence: list[str] | None = None) -> Recognition:
    cfg = rules()
    title_chars = int(cfg.get("title_chars", 700))
    text = text or ""
    head = text[:title_chars]
    scores: dict[str, int] = {}
    evidence: dict[str, list[str]] = {}
    for doc_type, spec in cfg["doc_types"].items():
        s = 0
        ev: list[str] = []
        for phrase_rx, weight in spec["compiled"]:
            m = phrase_rx.search(text)
            if not m:
                continue
            phrase = " ".join(m.group(0).split())
            if phrase_rx.found_in_head(m, head):
                s += 2 * weight
                ev.append(f'kata "{phrase}" di judul/kop')
            else:
                s += weight
                ev.append(f'kata "{phrase}"')
        scores[doc_type] = s
        evidence[doc_type] = ev
    hint = filename_hint(filename)
    if hint:
        scores[hint] = scores.get(hint, 0) + int(cfg.get("filename_weight", 2))
        evidence.setdefault(hint, []).append(f'nama berkas "{filename}" (petunjuk)')
    if has_roster:
        scores[PARTICIPANT_LIST] = scores.get(PARTICIPANT_LIST, 0) + 50
        evidence.setdefault(PARTICIPANT_LIST, [])[:0] = list(roster_evidence or ["baris judul kolom peserta"])
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, best_score = ranked[0] if ranked else (OTHER, 0)
    runner = ranked[1][0] if len(ranked) > 1 and ranked[1][1] > 0 else ""
    if best_score < int(cfg.get("min_score", 5)):
        ev = [f"tidak ada kata kunci yang cukup (skor tertinggi {best_score} untuk {label(best)})"] if best_score else \
             ["tidak ada kata kunci dokumen yang dikenali"]
        return Recognition(OTHER, best_score, ev, scores, hint, best if best_score else "")
    return Recognition(best, best_score, evidence[best], scores, hint, runner)
