"""Compile-time frames and scopes: which frame slot each local variable lives in.

Local variables, including those of ``let`` forms, live in the frame of the enclosing
lambda: a ``let`` allocates slots instead of a frame, since only a procedure call can run
the same ``let`` again, and a call makes a new frame.
"""


class CFrame:
    """Slot allocation for one procedure's frame (slot 0 holds the parent frame)."""

    __slots__ = ("parent", "level", "nslots", "code")

    def __init__(self, parent, code):
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.nslots = 1
        self.code = code

    def alloc(self):
        i = self.nslots
        self.nslots += 1
        return i


class Scope:
    __slots__ = ("parent", "frame", "names")

    def __init__(self, parent, frame):
        self.parent = parent
        self.frame = frame
        self.names = {}


class Prebuilt:
    """A datum standing for an already-built AST node (used by ``struct``)."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node
