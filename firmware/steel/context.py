"""Which interpreter is running a task right now (per thread, where there are threads).

The standard library is built once per process and shared by every interpreter (a fleet
of a thousand emulated devices, or one program after another on a board, would otherwise
pay ~100 KB per interpreter).  The few library procedures that need their interpreter —
to charge its memory meter, write to its output, draw from its random generator — find it
here.  The VM sets it while a task runs.
"""

try:
    import threading

    _local = threading.local()
except ImportError:  # MicroPython on the board: one thread runs programs

    class _Local:
        pass

    _local = _Local()


def current():
    """The interpreter whose task is running in this thread, or None."""
    return getattr(_local, "interp", None)


def enter(interp):
    """Make ``interp`` current; returns the previous one for :func:`leave`."""
    previous = getattr(_local, "interp", None)
    _local.interp = interp
    return previous


def leave(previous):
    _local.interp = previous
