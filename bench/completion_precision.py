"""Precision and recall of completion requests (permintaan kelengkapan), through the real pipeline.

    .venv/bin/python bench/completion_precision.py [--generated N] [--seeds 1,2] [--no-corpus]

Each set is loaded into a throw-away Dovecot mailbox, processed by `run_once` (read, check, decide,
write, SMTP out) and judged against its truth:

- precision: the share of completion requests whose every line is a true problem of that request;
- recall: the share of truly incomplete requests that got a completion request (for the shared
  corpus, "incomplete_or_review" cases may instead wait for an officer).

Truth: for ../shared/corpora/bnsp-requests-v1 it is expected.json (a line is true when it names
what the case's `mentions` name; a mail without attachments may only be asked for documents;
cases whose expectation says nothing about lines are counted as not judged). For generated sets
(tests/variance.py) it is the defect each request was made with.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from tests.corpus.harness import SHARED_CORPUS, load_corpus, registry_rows, run_mails  # noqa: E402
from tests.servers import AccountBook, DovecotServer, SmtpServer, SmtpView  # noqa: E402

OFFICE = "blanko@bnsp.example.go.id"


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "    - (0/0)"


def judge_corpus(results, expected, mails) -> dict:
    import email
    from email import policy

    requests = judged = true_requests = 0
    incomplete = got = 0
    wrong_lines: list[str] = []
    for stem, want in expected.items():
        res = results[stem]
        outcome = want["outcome"]
        if outcome in ("incomplete", "incomplete_or_review"):
            incomplete += 1
            if res.replies or (outcome == "incomplete_or_review" and res.status == "perlu_pemeriksaan"):
                got += 1
        if not res.replies:
            continue
        requests += 1
        lines = res.completion_lines()
        if outcome in ("complete", "complete_or_review", "held", "ignored", "duplicate"):
            judged += 1
            wrong_lines += [f"{stem}: {ln}" for ln in lines]
            continue
        has_files = any(True for _ in email.message_from_bytes(mails[stem], policy=policy.default).iter_attachments())
        mentions = [m.lower() for m in want.get("mentions", [])]
        if not has_files:
            bad = [ln for ln in lines if "belum dilampirkan" not in ln]
        elif mentions and outcome != "any_but_crash":
            bad = [ln for ln in lines if not any(m in ln.lower() for m in mentions)]
        else:
            continue   # expected.json says nothing about which lines are true here
        judged += 1
        true_requests += not bad
        wrong_lines += [f"{stem}: {ln}" for ln in bad]
    return {"requests": requests, "judged": judged, "true": true_requests, "incomplete": incomplete,
            "got": got, "wrong_lines": wrong_lines}


def judge_generated(results, generated) -> dict:
    requests = true_requests = incomplete = got = 0
    wrong_lines: list[str] = []
    for g in generated:
        res = results[g.message_id]
        if g.incomplete:
            incomplete += 1
            got += bool(res.replies)
        if not res.replies:
            continue
        requests += 1
        bad = [ln for ln in res.completion_lines() if not any(p.matches(ln) for p in g.problems)]
        true_requests += not bad
        wrong_lines += [f"{g.variant}: {ln}" for ln in bad]
    return {"requests": requests, "judged": requests, "true": true_requests, "incomplete": incomplete,
            "got": got, "wrong_lines": wrong_lines}


def report(name: str, n: int, seconds: float, r: dict) -> None:
    print(f"{name:<34} mails {n:>3}  completion requests {r['requests']:>3} (judged {r['judged']})  "
          f"precision {_pct(r['true'], r['judged'])}  recall {_pct(r['got'], r['incomplete'])}  {seconds:5.1f} s")
    for line in r["wrong_lines"][:10]:
        print("   not a true problem:", line)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generated", type=int, default=36, help="requests per generated set")
    ap.add_argument("--seeds", default="1,2", help="one generated set per seed")
    ap.add_argument("--no-corpus", action="store_true")
    args = ap.parse_args()

    from tests.variance import generated_set, minutes_and_decision_in_one_pdf, registry, Variant

    dovecot = DovecotServer().start()
    smtp = SmtpServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="sertiflow-precision-") as tmp:
            if not args.no_corpus and (SHARED_CORPUS / "expected.json").exists():
                book = AccountBook(dovecot)
                smtp.reset(book)
                mails, expected, lsps = load_corpus()
                t = time.perf_counter()
                results = run_mails(mails, registry_rows(lsps), Path(tmp) / "corpus", book.get(OFFICE),
                                    SmtpView(smtp, book))
                report("shared corpus bnsp-requests-v1", len(mails), time.perf_counter() - t,
                       judge_corpus(results, expected, mails))
            for seed in [int(s) for s in args.seeds.split(",") if s]:
                book = AccountBook(dovecot)
                smtp.reset(book)
                generated = generated_set(args.generated, seed=seed)
                generated += [minutes_and_decision_in_one_pdf(Variant(decision=d, seed=seed * 100 + k))
                              for k, d in enumerate(("sebanyak", "recap_table"))]
                mails = {g.message_id: g.raw for g in generated}
                t = time.perf_counter()
                results = run_mails(mails, registry(), Path(tmp) / f"gen{seed}", book.get(OFFICE), SmtpView(smtp, book))
                report(f"generated set (seed {seed})", len(mails), time.perf_counter() - t,
                       judge_generated(results, generated))
    finally:
        smtp.stop()
        dovecot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
