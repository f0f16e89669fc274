"""Named crash points, so tests can prove that a crash between any two steps loses nothing
and repeats nothing. Inactive unless SERTIFLOW_CRASH_AT names the point.

SERTIFLOW_CRASH_MODE: unset raises InjectedCrash; "kill" ends the process at once; "hold"
writes the process id to $SERTIFLOW_CRASH_HOLD_FILE and waits there, so a test can kill the
process (or its worker) in the middle of a run."""
import os
import time


class InjectedCrash(RuntimeError):
    pass


def crash_point(name: str) -> None:
    if os.environ.get("SERTIFLOW_CRASH_AT") != name:
        return
    mode = os.environ.get("SERTIFLOW_CRASH_MODE")
    if mode == "kill":
        os._exit(137)  # as if the process were killed: no cleanup, no commit
    if mode == "hold":
        with open(os.environ["SERTIFLOW_CRASH_HOLD_FILE"], "w") as marker:
            marker.write(str(os.getpid()))
        while True:
            time.sleep(60)
    raise InjectedCrash(name)
