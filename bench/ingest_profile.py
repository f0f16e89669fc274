"""Where the CPU of one ingest pass goes: N generated blank requests in a real Dovecot through
`poll.run_once` (no Prefect), printing CPU milliseconds per mail of this process and of its
worker processes. With --inline everything runs on one thread in this process (readers and
renderer in-process): the CPU of the whole work a mail, without threads, pipes or contention,
the steadiest figure to compare two versions by. --profile is --inline under cProfile, printing
the top functions and saving the profile to /tmp/ingest.prof for `python -m pstats`.

    .venv/bin/python bench/ingest_profile.py [N] [--inline | --profile]     (default 300)
"""
from __future__ import annotations

import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


class InlineExecutor:
    """Runs each submitted call at once on the calling thread, so cProfile sees it."""

    def __init__(self, *args, **kwargs):
        pass

    def submit(self, fn, *args, **kwargs):
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def map(self, fn, items):
        return [fn(item) for item in items]

    def shutdown(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def cpu_seconds(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main(n: int, profile: bool, inline: bool = False) -> None:
    from bench.ingest import generate, write_config
    from tests.servers import DovecotServer

    inline = inline or profile
    if inline:
        os.environ["SERTIFLOW_READ_INPROCESS"] = "1"
        os.environ["SERTIFLOW_RENDER_WORKERS"] = "0"
    raws = generate(n)
    with DovecotServer() as dovecot, tempfile.TemporaryDirectory() as tmp:
        account = dovecot.new_account("blanko@bnsp.example.go.id")
        config = write_config(Path(tmp), account, pdf=False)
        account.append_many(raws)
        import pipelines.read
        from pipelines import poll
        from pipelines.runtime import Runtime

        if inline:
            poll.MAIL_THREADS = 1
            poll.ThreadPoolExecutor = pipelines.read.ThreadPoolExecutor = InlineExecutor
        rt = Runtime.load(str(config))
        profiler = cProfile.Profile()
        own, children = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        if profile:
            profiler.enable()
        result = poll.run_once(rt)
        if profile:
            profiler.disable()
        wall = time.perf_counter() - t
        own = cpu_seconds(resource.RUSAGE_SELF) - own
        children = cpu_seconds(resource.RUSAGE_CHILDREN) - children
        print(f"{result['outcomes']}: {wall:.1f} s, {n / wall:.1f} mails/s; CPU a mail: this process "
              f"{own / n * 1000:.1f} ms, workers {children / n * 1000:.1f} ms"
              + (" (everything on one thread of this process" + (", under cProfile)" if profile else ")")
                 if inline else ""))
        if profile:
            profiler.dump_stats("/tmp/ingest.prof")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"pipelines/", 60)


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    main(int(numbers[0]) if numbers else 300, profile="--profile" in sys.argv, inline="--inline" in sys.argv)
