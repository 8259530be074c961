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
from .ports import CURRENT_INPUT, CURRENT_OUTPUT, InputPort, OutputPort
from .values import Control, Primitive


class Library:
    __slots__ = ("table", "meter", "output", "input", "interp")

    def __init__(self, meter, output, interp=None, input_port=None):
        self.table = {}  # name -> Primitive | Control
        self.meter = meter
        self.output = output  # an OutputPort; display & co. write here by default
        self.input = input_port if input_port is not None else InputPort("")
        self.interp = interp

    def current_output(self):
        """The port ``display`` writes to without a port argument."""
        out = self.output
        return out.port() if type(out) is ContextOutput else out

    def current_input(self):
        """The port ``read-line`` reads from without a port argument."""
        inp = self.input
        return inp.port() if type(inp) is ContextInput else inp

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
    """The current output port of the interpreter running a task now (for a shared
    library): its ``output``, or what ``parameterize`` made current-output-port."""

    __slots__ = ()

    def port(self):
        interp = current()
        if interp is None:
            return _FALLBACK
        return CURRENT_OUTPUT.value_in(interp)

    @property
    def sink(self):
        return self.port().sink

    def write(self, s):
        self.port().write(s)


class ContextInput:
    """The current input port of the interpreter running a task now."""

    __slots__ = ()

    def port(self):
        interp = current()
        if interp is None:
            return _NO_INPUT
        return CURRENT_INPUT.value_in(interp)


def _stdout(s):
    import sys

    sys.stdout.write(s)


_FALLBACK = OutputPort(_stdout)
_NO_INPUT = InputPort("")
