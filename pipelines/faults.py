"""Named crash points, so tests can prove that a crash between any two steps loses nothing
and repeats nothing. Inactive unless SERTIFLOW_CRASH_AT names the point."""
import os


class InjectedCrash(RuntimeError):
    pass


def crash_point(name: str) -> None:
    if os.environ.get("SERTIFLOW_CRASH_AT") != name:
        return
    if os.environ.get("SERTIFLOW_CRASH_MODE") == "kill":
        os._exit(137)  # as if the process were killed: no cleanup, no commit
    raise InjectedCrash(name)
