"""Value types of Steel's library families: boxes, streams, parameters, transducers.

Each is a small class the rest of the runtime recognises by ``type(x) is ...``, like the
core values in :mod:`firmware.steel.values` (which this module must not import: values
hashes boxes by their contents).  Byte vectors need no class: they are ``bytearray``.
"""


class Box:
    """A mutable cell (``box``); ``equal?`` and hashing look at its contents, as Steel's."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v


class Stream:
    """A lazy list cell: ``car`` is the first element, ``thunk`` a procedure that returns
    the rest (another Stream or the empty stream).  ``stream-cdr`` calls the thunk each
    time, as Steel's does."""

    __slots__ = ("car", "thunk")

    def __init__(self, car, thunk):
        self.car = car
        self.thunk = thunk


class _EmptyStream:
    """The empty stream, a value (the class attributes describe it in the reference)."""

    __slots__ = ()
    name = "empty-stream"
    min = 0
    max = 0
    doc = "the empty stream (a value, not a procedure)"


EMPTY_STREAM = _EmptyStream()


class Parameter:
    """A parameter object (``make-parameter``): calling it gives its current value.

    The value in effect is per task and per dynamic extent: ``parameterize`` records a new
    value in the running task's ``dynamic`` table for the extent of its body (the tasks of
    one program — its main body and its callbacks — interleave, and must not see each
    other's bindings).
    ``default`` is the value outside any ``parameterize``; for the built-in port parameters
    it is None and ``builtin`` names the interpreter attribute that holds the default.
    """

    __slots__ = ("default", "converter", "name", "builtin")
    min = 0  # called with no arguments (these describe it like a procedure)
    max = 0

    def __init__(self, default, converter=None, name="parameter", builtin=None):
        self.default = default
        self.converter = converter
        self.name = name
        self.builtin = builtin

    @property
    def doc(self):
        return "(%s) — the current value of this parameter" % self.name

    def value_in(self, interp):
        """The value in effect in ``interp``'s running task (None: no interpreter)."""
        if interp is not None:
            task = interp.current
            if task is not None and task.dynamic:
                v = task.dynamic.get(self)
                if v is not None:
                    return v
            if self.builtin is not None:
                return getattr(interp, self.builtin)
        return self.default


class Transducer:
    """A composable transformation: ``stages`` is a tuple of ``(kind, argument)``, applied
    in order (``compose`` concatenates them)."""

    __slots__ = ("stages",)

    def __init__(self, stages):
        self.stages = stages


class Reducer:
    """How ``transduce`` folds the elements: ``kind`` names the fold, ``args`` its
    arguments (``(into-reducer f init)`` has both)."""

    __slots__ = ("kind", "args")

    def __init__(self, kind, args=()):
        self.kind = kind
        self.args = args
