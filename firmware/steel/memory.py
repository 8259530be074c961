"""Memory accounting for Steel programs.

A device runs untrusted programs in a few hundred kilobytes, so a program gets a cap on
what it allocates, checked by the runtime rather than by MicroPython's allocator (whose
failure would take the whole agent down).  Allocation sites charge estimated sizes to a
:class:`Meter`; because most allocations soon become garbage, crossing the next check
point does not fail at once: the meter measures what is actually reachable from the
program's roots (globals, the VM stacks of its tasks, values the host holds for it) and
only raises OutOfMemory when *that* exceeds the cap.  The next check point is then set far
enough ahead that the measurement's cost is amortised over the allocations in between.

Units are approximate bytes on a 32-bit MicroPython heap.
"""

from .context import current
from .errors import OUT_OF_MEMORY, SteelError

PAIR = 16  # a two-slot object
SLOT = 4  # one vector element / frame slot
CHAR = 1  # one character of a string
OBJECT = 16  # header of any other heap object (vector, string, closure, map, struct)
FRAME = 24  # a call frame's bookkeeping besides its slots


class Meter:
    """Counts allocations of one interpreter against ``limit`` (None: unlimited).

    ``measure`` is a callable returning the live size in units; the interpreter installs
    it.  ``used`` is the live size at the last measurement plus what was charged since.
    """

    __slots__ = ("limit", "used", "next_check", "measure", "peak")

    def __init__(self, limit=None):
        self.limit = limit
        self.used = 0
        self.peak = 0
        self.measure = None
        # With no limit the check point is never reached (ints are unbounded).
        self.next_check = limit if limit is not None else 1 << 62

    def charge(self, units):
        """Record an allocation of ``units`` about to happen; may raise OutOfMemory."""
        self.used += units
        if self.used > self.next_check:
            self.check(units)

    def check(self, pending=0):
        """Measure what is live (plus ``pending``, not allocated yet) against the limit."""
        limit = self.limit
        if limit is None:
            self.next_check = 1 << 62
            return
        live = (self.measure() if self.measure is not None else self.used) + pending
        if live > self.peak:
            self.peak = live
        if live > limit:
            self.used = 0
            self.next_check = limit
            raise SteelError(
                OUT_OF_MEMORY,
                "program exceeded its memory limit of %d bytes (%d live)" % (limit, live),
            )
        self.used = live
        headroom = limit - live
        if headroom < limit // 8:
            headroom = limit // 8
        self.next_check = live + headroom

    def reset(self):
        self.used = 0
        self.next_check = self.limit if self.limit is not None else 1 << 62


class ContextMeter:
    """The meter of the interpreter running a task now: what a shared library charges.

    Outside any task (a host calling a procedure directly) nothing is charged: the host's
    own allocations are not a program's.
    """

    __slots__ = ()

    def charge(self, units):
        interp = current()
        if interp is not None:
            interp.meter.charge(units)
