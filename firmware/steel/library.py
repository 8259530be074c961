"""How standard-library modules add their procedures to an interpreter.

Each module under :mod:`firmware.steel.lib` has ``install(lib)`` and calls
``lib.define(...)`` for every procedure.  ``lib`` carries what a primitive may need from
its interpreter: the memory meter (``lib.meter.charge(units)`` for anything it allocates,
sizes in :mod:`firmware.steel.memory`) and the current output port (``lib.output``).
Procedures are plain Python functions taking the Steel arguments positionally; calls to
them are compiled inline, so they must never call back into Steel code (higher-order
procedures live in :mod:`firmware.steel.control`).
"""

from .context import current
from .values import Control, OutputPort, Primitive


class Library:
    __slots__ = ("table", "meter", "output", "interp")

    def __init__(self, meter, output, interp=None):
        self.table = {}  # name -> Primitive | Control
        self.meter = meter
        self.output = output  # an OutputPort; display & co. write here by default
        self.interp = interp

    def define(self, name, fn, min_args, max_args=None, doc=""):
        """Add a primitive; ``max_args`` None means exactly ``min_args``, -1 any number."""
        if max_args is None:
            max_args = min_args
        self.table[name] = Primitive(name, fn, min_args, max_args, doc)

    def define_control(self, name, fn, min_args, max_args=None, doc=""):
        """Add a procedure that drives the VM (see :class:`firmware.steel.values.Control`)."""
        if max_args is None:
            max_args = min_args
        self.table[name] = Control(name, fn, min_args, max_args, doc)

    def alias(self, new_name, existing):
        self.table[new_name] = self.table[existing]


class ContextOutput:
    """The output port of the interpreter running a task now (for a shared library)."""

    __slots__ = ()

    def _port(self):
        interp = current()
        return interp.output if interp is not None else _FALLBACK

    @property
    def sink(self):
        return self._port().sink

    def write(self, s):
        self._port().write(s)


def _stdout(s):
    import sys

    sys.stdout.write(s)


_FALLBACK = OutputPort(_stdout)
