"""Procedures that steer the VM's control flow: continuations, handlers, errors,
parameters, multiple values, suspension and eval.

Like the higher-order procedures in :mod:`firmware.steel.control` they are Control
procedures: each gets the task and may push native continuation frames or unwind.
"""

from . import continuations, vm
from .errors import (
    ARITY_MISMATCH,
    CONTRACT_VIOLATION,
    GENERIC,
    SteelError,
    type_error,
)
from .memory import OBJECT, SLOT
from .numtypes import Rational
from .objects import Parameter
from .ports import CURRENT_INPUT, CURRENT_OUTPUT, InputPort, OutputPort
from .printer import display_string, write_string
from .values import NIL, VOID, Pair, Symbol, is_list, is_procedure, to_list


def _check_proc(who, f, position=1):
    if not is_procedure(f):
        raise type_error(who, "a procedure", f, position)


# --- errors --------------------------------------------------------------------------------


def _error(task, args, pos):
    """``(error message irritant ...)`` raises a Generic error; ``(error 'who msg)`` too."""
    head = args[0]
    rest = list(args[1:])
    if type(head) is Symbol and rest and type(rest[0]) is str:
        message = "%s: %s" % (head.name, rest[0])
        rest = rest[1:]
    else:
        message = display_string(head)
    text = message
    if rest:
        text = message + " " + " ".join([write_string(x, 200) for x in rest])
    e = SteelError(GENERIC, text)
    e.irritants = rest
    raise e


def _raise(task, args, pos):
    """``(raise obj)``: a handler receives ``obj`` itself; an error object is re-raised."""
    obj = args[0]
    if isinstance(obj, SteelError):
        raise obj
    e = SteelError(GENERIC, "uncaught exception: %s" % write_string(obj, 200))
    e.payload = obj
    raise e


def _raise_error(task, args, pos):
    obj = args[0]
    if not isinstance(obj, SteelError):
        raise type_error("raise-error", "an error object", obj)
    raise obj


def _error_object_p(x):
    return isinstance(x, SteelError)


def _error_object_message(e):
    if not isinstance(e, SteelError):
        raise type_error("error-object-message", "an error object", e)
    return e.message


def _error_object_irritants(e):
    if not isinstance(e, SteelError):
        raise type_error("error-object-irritants", "an error object", e)
    r = NIL
    for x in reversed(e.irritants):
        r = Pair(x, r)
    return r


def _error_object_kind(e):
    if not isinstance(e, SteelError):
        raise type_error("error-object-kind", "an error object", e)
    return e.kind


# --- continuations, handlers, suspension -------------------------------------------------


def _prompt(task, args, pos):
    return continuations.prompt(task, args[0], pos)


def _call_cc(task, args, pos):
    f = args[0]
    _check_proc("call/cc", f)
    return continuations.call_cc(task, f, pos)


def _with_handler(task, args, pos):
    handler, thunk = args
    _check_proc("with-handler", handler)
    task.stack.append((vm.handler_frame, [handler]))
    return (thunk, [None], None, pos)


def _sleep(task, args, pos):
    """``(sleep seconds)`` suspends the program; the host resumes it when the time is up."""
    secs = args[0]
    if type(secs) is Rational:
        secs = secs.num / secs.den
    if (type(secs) is not int and type(secs) is not float) or not secs >= 0:
        raise type_error("sleep", "a non-negative number of seconds", secs)
    task.wake_after = secs
    task.status = vm.SLEEPING
    task.r = VOID
    return vm.SUSPEND


def _eval(task, args, pos):
    """``(eval datum)`` compiles a datum in the global environment and runs it here."""
    program = task.interp.compile_data([(args[0], (1, 1))], "<eval>")
    return (program.closure, [None], None, pos)


# --- parameters ------------------------------------------------------------------------


def _make_parameter_with(meter):
    def make_parameter(value, converter=None):
        """``(make-parameter value)``: a parameter whose value outside parameterize is
        value (a converter procedure is accepted but not applied)."""
        if converter is not None:
            _check_proc("make-parameter", converter, 2)
        meter.charge(OBJECT + 4 * SLOT)
        return Parameter(value, converter)

    return make_parameter


def _parameterize(task, args, pos):
    """``(%parameterize (list p ...) (list v ...) thunk)``, made by ``parameterize``."""
    params = to_list(args[0])
    values = to_list(args[1])
    if params is None or values is None or len(params) != len(values):
        raise SteelError(CONTRACT_VIOLATION, "parameterize: expected as many parameters as values")
    _check_proc("parameterize", args[2], 3)
    for i in range(len(params)):
        if type(params[i]) is not Parameter:
            raise type_error("parameterize", "a parameter", params[i], i + 1)
    return continuations.parameterize(task, params, values, args[2], pos)


# --- string ports around a body ------------------------------------------------------------


def _collected_k(S, v):
    """After the body: what was written to the string port, not the body's value."""
    return S[0].getvalue()


def _with_output_to_string(task, args, pos):
    """``(with-output-to-string thunk)``: what the thunk displays, as a string."""
    _check_proc("with-output-to-string", args[0], 1)
    port = OutputPort()
    task.interp.meter.charge(OBJECT)
    task.stack.append((_collected_k, [port]))
    return continuations.parameterize(task, [CURRENT_OUTPUT], [port], args[0], pos)


def _call_with_output_string(task, args, pos):
    """``(call-with-output-string proc)``: what ``(proc port)`` writes to the port."""
    _check_proc("call-with-output-string", args[0], 1)
    port = OutputPort()
    task.interp.meter.charge(OBJECT)
    task.stack.append((_collected_k, [port]))
    return (args[0], [None, port], None, pos)


def _input_of(who, s):
    if type(s) is not str:
        raise type_error(who, "a string", s, 1)
    return InputPort(s)


def _with_input_from_string(task, args, pos):
    """``(with-input-from-string s thunk)``: the thunk's value, reading from s."""
    port = _input_of("with-input-from-string", args[0])
    _check_proc("with-input-from-string", args[1], 2)
    return continuations.parameterize(task, [CURRENT_INPUT], [port], args[1], pos)


def _call_with_input_string(task, args, pos):
    """``(call-with-input-string s proc)``: ``(proc port)`` with a port reading s."""
    port = _input_of("call-with-input-string", args[0])
    _check_proc("call-with-input-string", args[1], 2)
    return (args[1], [None, port], None, pos)


# --- multiple values (lists, as in Steel) ----------------------------------------------------


def _call_with_values(task, args, pos):
    """``(call-with-values producer consumer)``: the consumer gets the producer's values.

    Steel's ``values`` is ``list``, so the producer's list is spread over the consumer's
    arguments, and any other value is passed as the one argument."""
    producer, consumer = args
    _check_proc("call-with-values", producer, 1)
    _check_proc("call-with-values", consumer, 2)
    task.stack.append((_spread_values_k, [consumer, pos]))
    return (producer, [None], None, pos)


def _spread_values_k(S, v):
    consumer, pos = S
    if is_list(v):
        return (consumer, [None] + to_list(v), None, pos)
    return (consumer, [None, v], None, pos)


def _case_lambda_fail(n):
    """Raised by a ``case-lambda`` whose clauses do not accept this many arguments."""
    raise SteelError(
        ARITY_MISMATCH,
        "case-lambda: no clause accepts %s argument%s" % (write_string(n), "" if n == 1 else "s"),
    )


def install(lib):
    c = lib.define_control
    d = lib.define
    c("call/cc", _call_cc, 1, 1, "(call/cc f) — calls f with an escape-only continuation")
    lib.alias("call-with-current-continuation", "call/cc")
    c("%with-handler", _with_handler, 2, 2, "(%with-handler handler thunk) — used by with-handler")
    c("error", _error, 1, -1, "(error msg irritant ...) — raises a Generic error")
    c("raise", _raise, 1, 1, "(raise obj) — raises obj; a handler receives obj itself")
    c("raise-error", _raise_error, 1, 1, "(raise-error err) — raises the error object err")
    c("sleep", _sleep, 1, 1, "(sleep seconds) — suspends the program for that long")
    c("eval", _eval, 1, 1, "(eval datum) — evaluates datum in the global environment")
    d("error-object?", _error_object_p, 1, 1, "(error-object? x) — #t for an error object")
    d("error-object-message", _error_object_message, 1, 1, "(error-object-message e) — its message")
    d(
        "error-object-irritants",
        _error_object_irritants,
        1,
        1,
        "(error-object-irritants e) — its irritants",
    )
    d(
        "error-object-kind",
        _error_object_kind,
        1,
        1,
        "(error-object-kind e) — Steel's error kind, a string",
    )
    c("%prompt", _prompt, 1, 1, "(%prompt thunk) — calls thunk under a new prompt")
    c(
        "with-output-to-string",
        _with_output_to_string,
        1,
        1,
        "(with-output-to-string thunk) — what the thunk writes to the current output, as a string",
    )
    c(
        "call-with-output-string",
        _call_with_output_string,
        1,
        1,
        "(call-with-output-string proc) — what (proc port) writes to port, as a string",
    )
    c(
        "with-input-from-string",
        _with_input_from_string,
        2,
        2,
        "(with-input-from-string s thunk) — the thunk's value, the current input reading s",
    )
    c(
        "call-with-input-string",
        _call_with_input_string,
        2,
        2,
        "(call-with-input-string s proc) — (proc port), port reading the string s",
    )
    c("error!", _error, 1, -1, "(error! msg irritant ...) — same as error")
    d(
        "make-parameter",
        _make_parameter_with(lib.meter),
        1,
        2,
        "(make-parameter v) — a new parameter object",
    )
    c(
        "%parameterize",
        _parameterize,
        3,
        3,
        "(%parameterize params values thunk) — used by parameterize",
    )
    c(
        "call-with-values",
        _call_with_values,
        2,
        2,
        "(call-with-values producer consumer) — calls consumer with producer's values",
    )
    d("%case-lambda-fail", _case_lambda_fail, 1, 1, "(%case-lambda-fail n) — used by case-lambda")
    lib.alias("values", "list")
