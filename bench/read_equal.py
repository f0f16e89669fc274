"""Equality harness for reader changes: every reading of two checkouts compared field by field.

Reads, with the code of each checkout, the generated bench mails (bench/ingest.py `generate`),
every *.eml under ../shared/corpora and every PDF/xlsx there, in up to four modes:

- `inprocess`: the worker's "message" task run in this process (walk + read_inprocess);
- `files`: each corpus PDF/xlsx through read_inprocess;
- `pool`: `pipelines.read.read_message` through the worker processes (the pickled round trip);
- `python`: as `inprocess` and `files` with the C character reader off (pdfchars unavailable).

    .venv/bin/python bench/read_equal.py OLD_ROOT NEW_ROOT [N] [--modes inprocess,files,pool,python]

Each checkout is run in its own interpreter (`--dump`), the readings pickled to a temporary
file, then compared here: MailContent and Document dataclasses by ==, and by their repr (which
also tells a float 1.0 from an int 1).
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CORPORA = HERE.parent / "shared" / "corpora"


def corpus_files(suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def dump(root: str, n: int, modes: list[str], out: str) -> None:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (HERE / "bench", HERE)]
    sys.path[:0] = [root, str(Path(root) / "tests")]
    os.chdir(root)
    from bench.ingest import generate
    from pipelines.documents import Attachment
    from pipelines.read.document import read_inprocess
    from pipelines.read.limits import DEFAULT_LIMITS
    from pipelines.read.mail import walk

    raws = [(f"bench-{i}", raw) for i, raw in enumerate(generate(n))]
    raws += [(str(p.relative_to(CORPORA)), p.read_bytes()) for p in corpus_files((".eml",))]
    files = [(str(p.relative_to(CORPORA)), p.read_bytes()) for p in corpus_files((".pdf", ".xlsx"))]
    readings = []

    def message_inprocess(raw):
        content = walk(raw, DEFAULT_LIMITS)
        return content, [read_inprocess(a, DEFAULT_LIMITS) for a in content.attachments]

    def read_files(tag):
        for key, data in files:
            readings.append((f"{tag}:{key}", read_inprocess(Attachment(Path(key).name, data), DEFAULT_LIMITS)))

    if "inprocess" in modes:
        readings += [(f"inprocess:{key}", message_inprocess(raw)) for key, raw in raws]
    if "files" in modes:
        read_files("files")
    if "pool" in modes:
        import pipelines.read
        from pipelines.read import sandbox
        readings += [(f"pool:{key}", pipelines.read.read_message(raw)) for key, raw in raws]
        sandbox.shutdown()
    if "python" in modes:
        from pipelines.read import pdfchars
        pdfchars.available = lambda: False
        readings += [(f"python:{key}", message_inprocess(raw)) for key, raw in raws]
        read_files("python-files")
    with open(out, "wb") as fh:
        pickle.dump(readings, fh, protocol=pickle.HIGHEST_PROTOCOL)


def compare(old_root: str, new_root: str, n: int, modes: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        outs = []
        for name, root in (("old", old_root), ("new", new_root)):
            out = os.path.join(tmp, f"{name}.pkl")
            subprocess.run([sys.executable, __file__, "--dump", root, str(n), ",".join(modes), out], check=True)
            outs.append(out)
        sys.path[:0] = [new_root]
        old, new = (pickle.load(open(o, "rb")) for o in outs)
    if [k for k, _ in old] != [k for k, _ in new]:
        print("readings differ in number or order")
        return 1
    differ = [k for (k, a), (_, b) in zip(old, new) if a != b or repr(a) != repr(b)]
    counts: dict[str, int] = {}
    for k, _ in old:
        counts[k.split(":")[0]] = counts.get(k.split(":")[0], 0) + 1
    documents = sum(len(v[1]) if isinstance(v, tuple) else 1 for _, v in old)
    print(f"{len(old)} readings compared ({', '.join(f'{m} {c}' for m, c in counts.items())}; "
          f"{documents} documents in them): {len(old) - len(differ)} equal, {len(differ)} differ")
    for k in differ[:20]:
        print("  differs:", k)
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1] == "--dump":
        dump(sys.argv[2], int(sys.argv[3]), sys.argv[4].split(","), sys.argv[5])
    else:
        args = [a for a in sys.argv[1:] if not a.startswith("--")]
        modes = "inprocess,files,pool,python"
        if "--modes" in sys.argv:
            modes = sys.argv[sys.argv.index("--modes") + 1]
            args.remove(modes)
        sys.exit(compare(args[0], args[1], int(args[2]) if len(args) > 2 else 150, modes.split(",")))
