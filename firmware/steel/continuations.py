"""First-class continuations and dynamic bindings on the VM's explicit stack.

``call/cc`` copies the task's stack of ``(segment, frame)`` entries up to the innermost
*prompt*.  Invoking the continuation while its ``call/cc`` is still on the stack just cuts
the stack back to it (an escape: ``return`` from a loop).  Invoking it after that extent
has ended — a generator resuming, ``shift``/``reset`` re-entering a captured context —
replaces the stack above the current prompt with a fresh copy of the captured one, so
the same continuation can be resumed any number of times.

Each top-level form of a program runs under its own prompt (the expander wraps it in
``%prompt``), as each top-level form of a Racket module or of Steel's REPL does: a
continuation captured in one form and invoked in a later one finishes the captured form's
computation and then carries on after the form that invoked it, instead of running the
rest of the program again.

Frames are environments and stay shared, as Scheme requires (a ``set!`` made after the
capture is seen after a resume).  The states of native continuations (``map``'s index
and results so far, ...) are copied instead, at capture and at every resume: each resume
must continue from the state at capture.  Such segments register with :func:`stateful`.

The captured stack is charged to the memory meter when it is made, and the memory
measurement counts the stacks of every continuation the program can still reach.

``parameterize`` pushes a :func:`param_frame` that records the values it replaced in the
task's ``dynamic`` table; leaving its extent in any way (return, error, escape, resume)
puts them back.
"""

from .errors import ARITY_MISMATCH, CONTRACT_VIOLATION, SteelError
from .memory import FRAME, OBJECT, SLOT
from .values import VOID, Continuation

STATEFUL = {}  # native segment -> True: its state is copied along with the stack
_DEPTH_STEP = 256


def stateful(segment):
    """Register a native continuation segment whose state list is mutated as it runs."""
    STATEFUL[segment] = True
    return segment


def escape_frame(F, v):
    """Marks the extent of a ``call/cc``; a normal return passes through."""
    return v


def prompt_frame(F, v):
    """Delimits the continuations captured above it (one per top-level form)."""
    return v


def prompt(task, thunk, pos):
    """The call request for ``(%prompt thunk)``."""
    task.stack.append((prompt_frame, None))
    return (thunk, [None], None, pos)


def _prompt_index(stack):
    """The index of the innermost prompt frame, or -1."""
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] is prompt_frame:
            return i
    return -1


def param_frame(F, v):
    """Ends a ``parameterize``: the values in effect before it come back."""
    _undo(F[0], F[1])
    return v


def _copy_state(state):
    return [list(x) if type(x) is list else x for x in state]


def copy_stack(stack):
    out = list(stack)
    for i in range(len(out)):
        k = out[i][0]
        if k in STATEFUL:
            out[i] = (k, _copy_state(out[i][1]))
    return out


def call_cc(task, f, pos):
    """The call request for ``(call/cc f)``: ``f`` receives the current continuation."""
    marker = [None]
    stack = task.stack
    saved = copy_stack(stack[_prompt_index(stack) + 1 :])
    # The copy keeps every frame on it alive after the stack has moved on: charge them
    # as the VM charges stack growth, not just the copy's slots.
    task.interp.meter.charge(OBJECT + (SLOT + FRAME + 4 * SLOT) * (len(saved) + 1))
    entry = (escape_frame, marker)
    saved.append(entry)
    task.stack.append(entry)
    return (f, [None, Continuation(marker, task.interp, saved)], None, pos)


def invoke(task, cont, args, pos):
    """``(k v)``: the value the VM hands to the captured context."""
    n = len(args) - 1
    if n > 1:
        raise SteelError(
            ARITY_MISMATCH, "continuation: expected at most 1 argument, got %d" % n
        ).locate(pos)
    v = args[1] if n == 1 else VOID
    if cont.interp is not task.interp:
        raise SteelError(
            CONTRACT_VIOLATION,
            "continuation: it belongs to another program (continuations do not survive a reload)",
        ).locate(pos)
    stack = task.stack
    marker = cont.marker
    for i in range(len(stack) - 1, -1, -1):
        entry = stack[i]
        if entry[0] is escape_frame and entry[1] is marker:
            undo_dynamic(stack, i)
            del stack[i:]
            return v
    fresh = copy_stack(cont.saved)
    task.interp.meter.charge(SLOT * len(fresh))
    base = _prompt_index(stack) + 1
    undo_dynamic(stack, base)
    del stack[base:]
    stack.extend(fresh)
    for i in range(base, len(stack)):
        k, F = stack[i]
        if k is param_frame:  # the bindings now belong to the task that resumed
            stack[i] = (k, [task, F[1]])
            _redo(task, F[1])
    task.depth_check = len(stack) + _DEPTH_STEP
    return v


def undo_dynamic(stack, start):
    """Leave the ``parameterize`` extents in ``stack[start:]``, innermost first."""
    for i in range(len(stack) - 1, start - 1, -1):
        k, F = stack[i]
        if k is param_frame:
            _undo(F[0], F[1])


def parameterize(task, params, values, thunk, pos):
    """The call request for ``(parameterize ([p v] ...) body)``'s body thunk."""
    dynamic = task.dynamic
    if dynamic is None:
        dynamic = task.dynamic = {}
    bindings = []
    for i in range(len(params)):
        p = params[i]
        bindings.append((p, dynamic.get(p), values[i]))
    state = [task, bindings]
    _redo(task, bindings)
    task.stack.append((param_frame, state))
    return (thunk, [None], None, pos)


def _undo(task, bindings):
    dynamic = task.dynamic
    for i in range(len(bindings) - 1, -1, -1):
        p, old, _ = bindings[i]
        if old is None:
            dynamic.pop(p, None)
        else:
            dynamic[p] = old


def _redo(task, bindings):
    dynamic = task.dynamic
    if dynamic is None:
        dynamic = task.dynamic = {}
    for p, _, new in bindings:
        dynamic[p] = new
