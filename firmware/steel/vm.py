"""The machine that runs compiled Steel code: one :class:`Task` per running program/callback.

A task owns an explicit stack of continuations ``(segment, frame)``; Python's stack stays
a few frames deep however deep the Steel recursion goes (MicroPython has ~150 frames).
``run(max_steps)`` executes until the program finishes, the step budget is spent (the task
is *paused*, resumable), or a procedure asks to suspend (``sleep``: *sleeping*; a host
request: *waiting*).  That is what lets the device agent interleave a program that loops
forever with its network work, and stop it.

Errors unwind the task's stack to the innermost ``with-handler`` frame; resource errors
(memory, steps, kill) cannot be caught by the program.
"""

from . import context, continuations
from .codegen import JUMP
from .errors import (
    ARITY_MISMATCH,
    FREE_IDENTIFIER,
    KILLED,
    TYPE_MISMATCH,
    SteelError,
    describe_arity,
    host_error,
)
from .memory import FRAME, PAIR, SLOT
from .objects import Parameter
from .printer import write_string
from .values import (
    NIL,
    UNDEFINED,
    VOID,
    Closure,
    Continuation,
    Control,
    Pair,
    Primitive,
    Struct,
)

READY = "ready"
RUNNING = "running"
PAUSED = "paused"
SLEEPING = "sleeping"
WAITING = "waiting"
DONE = "done"
FAILED = "error"
KILLED_STATUS = "killed"

SUSPEND = object()  # returned by a Control procedure that suspended the task

_DEPTH_STEP = 256  # stack growth between memory charges
_FRAME_ESTIMATE = FRAME + 4 * SLOT


def handler_frame(F, v):
    """Marks a ``with-handler`` extent on the stack; a normal return passes through."""
    return v


class Task:
    __slots__ = (
        "interp",
        "stack",
        "r",
        "F",
        "status",
        "value",
        "error",
        "wake_after",
        "steps",
        "name",
        "depth_check",
        "wait_reason",
        "run_start",
        "left",
        "dynamic",
    )

    def __init__(self, interp, proc, args, name=None):
        self.interp = interp
        self.stack = []
        self.r = (proc, [None] + list(args), None, None)
        self.F = None
        self.status = READY
        self.value = None
        self.error = None
        self.wake_after = None
        self.steps = 0
        self.name = name
        self.depth_check = _DEPTH_STEP
        self.wait_reason = None
        # The budget a run started with and what was left at its last call that went
        # through the VM (a host procedure): the host reads the exact step count there.
        self.run_start = 0
        self.left = 0
        self.dynamic = None  # Parameter -> value, while a parameterize is in effect
        interp.tasks.append(self)

    @property
    def alive(self):
        return self.status in (READY, PAUSED, SLEEPING, WAITING)

    def resume(self, value=VOID):
        """Give a waiting task the value its suspending procedure returns."""
        if self.status != WAITING:
            raise ValueError("task is %s, not waiting" % self.status)
        self.r = value
        self.status = PAUSED

    def kill(self, reason="stopped by the host"):
        """End the task now; it will never run again."""
        if not self.alive and self.status != RUNNING:
            return
        self.status = KILLED_STATUS
        self.error = SteelError(KILLED, reason)
        self._finish()

    def _finish(self):
        self.stack = []
        self.r = None
        self.F = None
        tasks = self.interp.tasks
        if self in tasks:
            tasks.remove(self)

    def run(self, max_steps=None):
        """Run for at most ``max_steps`` procedure calls; returns the new status.

        Raises SteelError if the program fails (the task is then finished).
        """
        if self.status == SLEEPING or self.status == READY:
            self.status = PAUSED
        if self.status != PAUSED:
            raise ValueError("task is %s and cannot run" % self.status)
        self.status = RUNNING
        budget = max_steps if max_steps is not None else 1 << 62
        start = budget
        self.run_start = start
        self.left = start
        stack = self.stack
        r = self.r
        F = self.F
        interp = self.interp
        meter = interp.meter
        previous = interp.current
        interp.current = self
        outer = context.enter(interp)
        try:
            while True:
                try:
                    while True:
                        if type(r) is tuple:
                            if budget <= 0:
                                self.r = r
                                self.F = F
                                self.status = PAUSED
                                return PAUSED
                            budget -= 1
                            f, args, k, pos = r
                            if k is not None:
                                stack.append((k, F))
                                if len(stack) > self.depth_check:
                                    self.depth_check = len(stack) + _DEPTH_STEP
                                    meter.charge(_DEPTH_STEP * _FRAME_ESTIMATE)
                            if type(f) is Closure:
                                c = f.code
                                if len(args) == c.argc:
                                    args[0] = f.env
                                    if c.pad is not None:
                                        args += c.pad
                                else:
                                    args = self._spread(f, args, pos)
                                F = args
                                self.F = F  # memory measurement must see the live frame
                                r = c.entry(F, None)
                                continue
                            self.left = budget
                            r = self._call_other(f, args, pos)
                            if r is SUSPEND:
                                self.F = F
                                return self.status
                            continue
                        if not stack:
                            self.value = r
                            self.status = DONE
                            self._finish()
                            return DONE
                        k, F = stack.pop()
                        self.F = F
                        r = k(F, r)
                except SteelError as e:
                    r = self._unwind(e)
                    F = None
                except Exception as e:  # a bug or resource failure inside a primitive
                    r = self._unwind(host_error(e, "runtime"))
                    F = None
        finally:
            self.steps += start - budget
            interp.steps += start - budget
            interp.current = previous
            context.leave(outer)

    # --- slow paths -------------------------------------------------------------------

    def _spread(self, f, args, pos):
        """The frame for a call whose argument count differs from the fixed parameters."""
        c = f.code
        n = len(args) - 1
        if c.rest and n >= c.nreq:
            fixed = c.nreq + 1
            extra = args[fixed:]
            self.interp.meter.charge(len(extra) * PAIR)
            rest = NIL
            for i in range(len(extra) - 1, -1, -1):
                rest = Pair(extra[i], rest)
            frame = args[:fixed]
            frame[0] = f.env
            frame.append(rest)
            if c.pad is not None:
                frame += c.pad
            return frame
        raise SteelError(
            ARITY_MISMATCH,
            "%s: expected %s, got %d"
            % (
                c.name or "#<procedure>",
                describe_arity(c.nreq, -1 if c.rest else c.nreq),
                n,
            ),
        ).locate(pos)

    def _call_other(self, f, args, pos):
        t = type(f)
        if t is Primitive or t is Control:
            n = len(args) - 1
            if n < f.min or (f.max >= 0 and n > f.max):
                raise SteelError(
                    ARITY_MISMATCH,
                    "%s: expected %s, got %d" % (f.name, describe_arity(f.min, f.max), n),
                ).locate(pos)
            if t is Primitive:
                try:
                    return f.fn(*args[1:])
                except Exception as e:
                    raise host_error(e, f.name).locate(pos)
            try:
                return f.fn(self, args[1:], pos)
            except SteelError as e:
                raise e.locate(pos)
        if f is JUMP:
            return VOID
        if t is Continuation:
            return continuations.invoke(self, f, args, pos)
        if t is Struct and f.type.proc_field is not None:
            return self._apply_struct(f, args, pos)
        if t is Parameter:
            if len(args) != 1:
                raise SteelError(
                    ARITY_MISMATCH, "%s: expected 0 arguments, got %d" % (f.name, len(args) - 1)
                ).locate(pos)
            return f.value_in(self.interp)
        if f is VOID and len(args) == 1:
            return VOID  # Scheme's (void); in Steel void is the value itself
        if f is UNDEFINED:
            raise SteelError(
                FREE_IDENTIFIER, "procedure called before its definition has run"
            ).locate(pos)
        raise SteelError(
            TYPE_MISMATCH, "application not a procedure: %s" % write_string(f, 60)
        ).locate(pos)

    def _apply_struct(self, s, args, pos):
        """A call to an instance of a struct with ``#:prop:procedure``."""
        proc = s.type.proc_field
        if type(proc) is int:
            return (s.fields[proc], args, None, pos)
        return (proc, [None, s] + args[1:], None, pos)

    def _unwind(self, e):
        """Hand ``e`` to the innermost handler (returns the call to make) or fail the task."""
        stack = self.stack
        if not e.trace:
            e.trace = self.trace()
        if e.catchable:
            for i in range(len(stack) - 1, -1, -1):
                k, F = stack[i]
                if k is handler_frame:
                    handler = F[0]
                    continuations.undo_dynamic(stack, i)
                    del stack[i:]
                    value = e.payload if e.payload is not None else e
                    return (handler, [None, value], None, None)
        self.status = FAILED
        self.error = e
        self._finish()
        raise e

    def trace(self, limit=6):
        """``(procedure, position)`` of the innermost Steel frames on the stack."""
        info = self.interp.seg_info
        out = []
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            entry = info.get(stack[i][0])
            if entry is not None:
                out.append((entry[0] or "<lambda>", entry[1]))
                if len(out) >= limit:
                    break
        return out

    def roots(self):
        """Values the task keeps alive, for memory measurement."""
        out = [self.r, self.F]
        for entry in self.stack:
            out.append(entry[1])
        return out
