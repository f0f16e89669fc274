"""The resident memory and CPU of a process tree, sampled every 50 ms by a separate process.

The sampler used to be a thread of the measured process: reading /proc for the whole tree cost
that process ~0.2 s of CPU on its own GIL during a 1,000-mail pass (bench/ingest.py), work the
measured pipeline then waited for. Now a child process samples, and leaves itself out.

    with TreePeak() as memory:    # samples this process and its descendants
        ...
    memory.peak, memory.peak_worker, memory.at_peak, memory.cpu_by_role(start)
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
INTERVAL_S = 0.05


def is_api(cmd: str) -> bool:
    return "uvicorn" in cmd or "prefect.server" in cmd


class Samples:
    """The samples themselves, for the tree under `root` (without `skip`, the sampling process)."""

    def __init__(self, root: int, skip: int | None = None):
        self.root, self.skip = root, skip
        self.peak = self.peak_worker = 0
        self.at_peak: list[tuple[int, str]] = []
        self.cpu: dict[int, tuple[float, str]] = {}   # pid -> (CPU seconds, command line)

    @staticmethod
    def _children(pid: int) -> list[int]:
        """Children of every thread of `pid` (/proc/PID/task/TID/children): scanning all of /proc
        every 50 ms cost ~6% of a core."""
        children = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    children += [int(c) for c in f.read().split()]
        except OSError:
            pass
        return children

    @staticmethod
    def _cpu_seconds(pid: int) -> float:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime

    def tree(self) -> list[tuple[int, int, str]]:
        """(pid, resident bytes, command line) of the tree. A child whose command line is still
        its parent's is a fork or vfork on its way to run its own program (every worker here is
        started that way): its pages are the parent's, so it counts 0 until it runs its program."""
        tree, frontier = [], [(self.root, None)]
        while frontier:
            pid, parent_cmd = frontier.pop()
            if pid == self.skip:
                continue
            try:
                with open(f"/proc/{pid}/statm") as f:
                    rss = int(f.read().split()[1]) * PAGE
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:120]
            except (OSError, IndexError, ValueError):
                continue
            tree.append((pid, 0 if cmd == parent_cmd else rss, cmd))
            frontier += [(child, cmd) for child in self._children(pid)]
        return tree

    def note_cpu(self, tree) -> None:
        for pid, _, cmd in tree:
            try:   # an exited process (a zombie until reaped) has no command line: keep the last one
                self.cpu[pid] = (self._cpu_seconds(pid), cmd or self.cpu.get(pid, (0, ""))[1])
            except (OSError, IndexError, ValueError):
                pass

    def sample(self) -> None:
        tree = self.tree()
        self.note_cpu(tree)
        total = sum(rss for _, rss, _ in tree)
        worker = sum(rss for _, rss, cmd in tree if not is_api(cmd))
        if total > self.peak:
            self.peak, self.at_peak = total, sorted(((rss, cmd) for _, rss, cmd in tree), reverse=True)
        self.peak_worker = max(self.peak_worker, worker)


class TreePeak(Samples):
    """Samples this process's tree from a child process while the `with` block runs."""

    def __init__(self):
        super().__init__(os.getpid())
        self._sampler: subprocess.Popen | None = None

    def __enter__(self):
        self._sampler = subprocess.Popen([sys.executable, __file__, str(self.root)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        if self._sampler.stdout.readline().strip() != "ready":
            raise RuntimeError("the memory sampler did not start")
        return self

    def __exit__(self, *exc):
        self._sampler.stdin.close()   # the sampler's signal to take a last sample and report
        found = json.loads(self._sampler.stdout.read())
        self._sampler.wait()
        self.peak, self.peak_worker = found["peak"], found["peak_worker"]
        self.at_peak = [tuple(x) for x in found["at_peak"]]
        self.cpu.update({int(pid): tuple(v) for pid, v in found["cpu"].items()})

    def snapshot(self) -> dict[int, float]:
        """CPU seconds of every process of the tree now (before and after the block)."""
        self.note_cpu(self.tree())
        return {pid: seconds for pid, (seconds, _) in self.cpu.items()}

    def cpu_by_role(self, start: dict[int, float]) -> dict[str, float]:
        """CPU seconds spent during the measurement, by kind of process."""
        roles: dict[str, float] = {}
        for pid, (seconds, cmd) in self.cpu.items():
            role = ("Prefect API" if is_api(cmd) else
                    "pipeline" if pid == self.root else
                    "LibreOffice" if "soffice" in cmd else
                    "readers" if "pipelines.read.worker" in cmd else
                    "renderer" if "pipelines.write.render_worker" in cmd else "other")
            roles[role] = roles.get(role, 0.0) + seconds - start.get(pid, 0.0)
        return roles


def _sample_until_stdin_closes(root: int) -> None:
    samples = Samples(root, skip=os.getpid())
    print("ready", flush=True)
    while not select.select([sys.stdin], [], [], INTERVAL_S)[0]:
        samples.sample()
    samples.sample()
    json.dump({"peak": samples.peak, "peak_worker": samples.peak_worker, "at_peak": samples.at_peak,
               "cpu": samples.cpu}, sys.stdout)


if __name__ == "__main__":
    _sample_until_stdin_closes(int(sys.argv[1]))
