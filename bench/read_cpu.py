"""CPU of the reader per mail, old checkout against new, in alternating runs.

Per bench mail (bench/ingest.py `generate`: 3 PDFs + 1 xlsx) and per corpus mail
(../shared/corpora/**/*.eml), the process CPU time (not wall time: the machine is shared) of:

- `inline`: the worker's "message" task in this process (walk + read_inprocess per attachment);
- `pool`: `pipelines.read.read_message` through one reader worker process: this process's CPU
  (pickling, pipe) plus the worker's, read from /proc.

    .venv/bin/python bench/read_cpu.py OLD_ROOT NEW_ROOT [N] [--rounds R]   (default N 300, R 3)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CORPORA = HERE.parent / "shared" / "corpora"
TICKS = os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    total = 0.0
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/stat") as st:
                        fields = st.read().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / TICKS
                except OSError:
                    pass
    return total


def measure(root: str, n: int) -> dict:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (HERE / "bench", HERE)]
    sys.path[:0] = [root, str(Path(root) / "tests")]
    os.chdir(root)
    os.environ["SERTIFLOW_READ_WORKERS"] = "1"
    from bench.ingest import generate
    from pipelines.read.document import read_inprocess
    from pipelines.read.limits import DEFAULT_LIMITS
    from pipelines.read.mail import walk
    import pipelines.read
    from pipelines.read import sandbox, worker

    worker._warm_up()
    bench = generate(n)
    corpus = [p.read_bytes() for p in sorted(CORPORA.rglob("*.eml"))]

    def inline(raws):
        for raw in raws:
            content = walk(raw, DEFAULT_LIMITS)
            for a in content.attachments:
                read_inprocess(a, DEFAULT_LIMITS)

    out = {}
    inline(bench[:20])   # caches, first calls
    t = time.process_time()
    inline(bench)
    out["inline bench"] = (time.process_time() - t) / n * 1000
    t = time.process_time()
    inline(corpus)
    out["inline corpus"] = (time.process_time() - t) / len(corpus) * 1000
    for raw in bench[:20]:
        pipelines.read.read_message(raw)
    own, workers = time.process_time(), _children_cpu()
    for raw in bench:
        pipelines.read.read_message(raw)
    out["pool bench: this process"] = (time.process_time() - own) / n * 1000
    out["pool bench: worker"] = (_children_cpu() - workers) / n * 1000
    out["pool bench: both"] = out["pool bench: this process"] + out["pool bench: worker"]
    sandbox.shutdown()
    return out


def main(old: str, new: str, n: int, rounds: int) -> None:
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(rounds):
        for name, root in (("old", old), ("new", new)):
            res = subprocess.run([sys.executable, __file__, "--measure", root, str(n)], check=True,
                                 capture_output=True, text=True)
            runs[name].append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"CPU ms a mail, {n} bench mails (3 PDFs + 1 xlsx) and {len(list(CORPORA.rglob('*.eml')))} corpus "
          f"mails, {rounds} alternating rounds (median [all])")
    for key in runs["old"][0]:
        cells = []
        for name in ("old", "new"):
            values = sorted(r[key] for r in runs[name])
            cells.append(f"{name} {values[len(values) // 2]:6.2f} [{' '.join(f'{v:.2f}' for v in values)}]")
        print(f"  {key:26s} " + "   ".join(cells))


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        args = [a for a in sys.argv[1:] if not a.startswith("--")]
        rounds = 3
        if "--rounds" in sys.argv:
            rounds = int(sys.argv[sys.argv.index("--rounds") + 1])
            args.remove(str(rounds))
        main(args[0], args[1], int(args[2]) if len(args) > 2 else 300, rounds)
