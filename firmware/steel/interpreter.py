"""The public face of the Steel runtime.

::

    interp = Interpreter()
    interp.eval("(define (sq x) (* x x)) (sq 12)")      # -> 144
    program = interp.compile(text, name="blink.scm")   # errors before anything runs
    task = interp.spawn(program)                       # resumable execution
    status = task.run(max_steps=5000)                  # "done" | "paused" | "sleeping" | ...

A device agent keeps one interpreter per loaded program, gives it host procedures
(``define_primitive`` for ordinary ones, ``define_control`` for ones that suspend), runs its
tasks in slices and reads ``steps`` and ``meter`` for its metrics.
"""

import sys

from . import control, dynamic, modules, rewrites, transduce
from .codegen import Codegen
from .errors import STEP_LIMIT, SteelError, host_error
from .expander import Expander
from .lib import install_all as _install_stdlib
from .library import ContextInput, ContextOutput, Library
from .memory import CHAR, OBJECT, PAIR, SLOT, ContextMeter, Meter
from .numtypes import Complex, Rational
from .objects import Box, Stream
from .ports import InputPort, OutputPort
from .reader import read
from .values import (
    UNDEFINED,
    Cell,
    Closure,
    Continuation,
    Control,
    HashMap,
    HashSet,
    Pair,
    Primitive,
    Struct,
    intern,
)
from .vm import DONE, PAUSED, SLEEPING, WAITING, Task

DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024

_SHARED = []


def shared_library():
    """The standard library's procedures, built once per process for all interpreters.

    Procedures reach their interpreter's meter, output and random state through
    :mod:`firmware.steel.context` (the VM sets the running interpreter there).
    """
    if not _SHARED:
        lib = Library(ContextMeter(), ContextOutput(), None, ContextInput())
        _install_stdlib(lib)
        control.install(lib)
        dynamic.install(lib)
        transduce.install(lib)
        modules.install(lib)
        rewrites.install(lib.table)
        _SHARED.append(lib.table)
    return _SHARED[0]


def _stdout_write(s):
    sys.stdout.write(s)


class Program:
    """A compiled unit: run it with :meth:`Interpreter.spawn`."""

    __slots__ = ("closure", "source", "warnings")

    def __init__(self, closure, source, warnings):
        self.closure = closure
        self.source = source
        self.warnings = warnings  # [(line, column, message)]


class Interpreter:
    """A global environment with the standard library, and the tasks running in it.

    ``output`` is a callable receiving text written by ``display`` and friends (default:
    ``sys.stdout``).  ``memory_limit`` caps what programs allocate, in approximate bytes
    (None: unlimited).  ``seed`` makes ``random`` reproducible.  ``sleep`` is how
    :meth:`eval` waits when a program calls ``sleep`` (default: ``time.sleep``).
    """

    def __init__(self, output=None, memory_limit=DEFAULT_MEMORY_LIMIT, seed=0, sleep=None):
        self.meter = Meter(memory_limit)
        self.meter.measure = self.measure
        self.output = OutputPort(output if output is not None else _stdout_write)
        self.input = InputPort("")  # a device has no standard input: reads see eof
        self.seed = seed
        self.sleep = sleep
        self.globals = {}  # Symbol -> Cell
        self.macros = {}  # Symbol -> Macro
        self.seg_info = {}  # continuation segment -> (procedure name, call position)
        self.tasks = []  # unfinished tasks (roots for memory measurement)
        self.host_roots = None  # optional callable returning values the host keeps alive
        self.current = None  # the task running now
        self.steps = 0  # procedure calls executed, over all tasks
        self.rng_state = None  # the random generator's state, created on first use
        self.std_table = shared_library()

    # --- environment -------------------------------------------------------------------

    def cell(self, sym):
        """The global variable ``sym``; created on first mention, holding the standard
        procedure of that name if there is one (so an interpreter only pays for the
        globals its programs use)."""
        c = self.globals.get(sym)
        if c is None:
            c = Cell(sym.name, self.std_table.get(sym.name, UNDEFINED))
            self.globals[sym] = c
        return c

    def builtin(self, name):
        """The standard procedure ``name``, whatever programs have redefined since."""
        return self.std_table[name]

    def define(self, name, value):
        self.cell(intern(name)).v = value

    def lookup(self, name):
        v = self.cell(intern(name)).v
        return None if v is UNDEFINED else v

    def define_primitive(self, name, fn, min_args, max_args=None, doc=""):
        """A host procedure ``fn(*args) -> value``; calls to it are compiled inline."""
        self.define(
            name, Primitive(name, fn, min_args, min_args if max_args is None else max_args, doc)
        )

    def define_host(self, name, fn, min_args, max_args=None, doc=""):
        """A host procedure ``fn(*args) -> value`` whose calls always go through the VM.

        Why not :meth:`define_primitive`: an inlined call is invisible to the VM, so the
        host could not tell how many steps the program had run when it was called
        (:meth:`live_steps`); the emulator stamps what a device does with that count."""

        def call(task, args, pos):
            try:
                return fn(*args)
            except SteelError:
                raise
            except Exception as e:
                raise host_error(e, name)

        self.define(
            name, Control(name, call, min_args, min_args if max_args is None else max_args, doc)
        )

    def live_steps(self):
        """Procedure calls executed so far, including the running task's current slice
        (exact when read from inside a host procedure, see :meth:`define_host`)."""
        t = self.current
        if t is None:
            return self.steps
        return self.steps + t.run_start - t.left

    def define_control(self, name, fn, min_args, max_args=None, doc=""):
        """A host procedure ``fn(task, args, pos)`` that may suspend the task."""
        self.define(
            name, Control(name, fn, min_args, min_args if max_args is None else max_args, doc)
        )

    # --- compiling ---------------------------------------------------------------------

    def compile(self, source, name="<string>", check=False):
        """Read, expand and compile a whole program; raises SteelError before running."""
        return self.compile_data(read(source, name, docs=True), name, check)

    def compile_data(self, data, name="<string>", check=False):
        ex = Expander(self, name, check=check)
        try:
            lam = ex.expand_unit(data)
            code = Codegen(self, ex).compile_lambda(lam)
        except RuntimeError as e:  # Python's recursion limit: absurdly nested source
            if isinstance(e, SteelError):
                raise
            raise SteelError("BadSyntax", "program nested too deeply to compile", None, None, name)
        return Program(Closure(code, None), name, ex.warnings)

    def check(self, source, name="<string>"):
        """Compile without running; returns (warnings, error or None)."""
        try:
            program = self.compile(source, name, check=True)
        except SteelError as e:
            return [], e
        return program.warnings, None

    # --- running -----------------------------------------------------------------------

    def spawn(self, what, args=(), name=None):
        """A task that runs a Program, or calls a procedure with ``args``."""
        proc = what.closure if type(what) is Program else what
        return Task(self, proc, args, name)

    def eval(self, source, name="<string>", max_steps=None):
        """Run every top-level form of ``source``; returns the last value."""
        return self.run_to_end(self.spawn(self.compile(source, name)), max_steps)

    def call(self, proc, *args, max_steps=None):
        """Call a Steel procedure from Python and run it to the end."""
        return self.run_to_end(self.spawn(proc, args), max_steps)

    def run_to_end(self, task, max_steps=None):
        remaining = max_steps
        while True:
            status = task.run(remaining)
            if remaining is not None:
                remaining = max_steps - task.steps
            if status == DONE:
                return task.value
            if status == SLEEPING:
                self._sleep(task.wake_after)
            elif status == PAUSED:
                if remaining is not None and remaining <= 0:
                    task.kill("step limit reached")
                    raise SteelError(
                        STEP_LIMIT, "program exceeded its limit of %d steps" % max_steps
                    )
            elif status == WAITING:
                task.kill("waiting for the host, which eval cannot provide")
                raise SteelError(
                    "Generic", "program waits for %s outside a host" % task.wait_reason
                )

    def _sleep(self, seconds):
        if self.sleep is not None:
            self.sleep(seconds)
        else:
            import time

            time.sleep(seconds)

    # --- memory ------------------------------------------------------------------------

    def measure(self):
        """Approximate bytes reachable from the program's roots (iterative)."""
        seen = {}
        total = 0
        stack = []
        for cell in self.globals.values():
            v = cell.v
            if type(v) is not Primitive and type(v) is not Control:
                stack.append(v)
        for task in self.tasks:
            stack.extend(task.roots())
            total += OBJECT * len(task.stack)
        if self.host_roots is not None:
            stack.extend(self.host_roots())
        while stack:
            v = stack.pop()
            t = type(v)
            if t is int:
                if v > 0x3FFFFFFF or v < -0x40000000:
                    total += OBJECT
                continue
            if t is bool or v is None:
                continue
            key = id(v)
            if key in seen:
                continue
            if t is Pair:
                while type(v) is Pair:
                    k = id(v)
                    if k in seen:
                        break
                    seen[k] = True
                    total += PAIR
                    stack.append(v.car)
                    v = v.cdr
                stack.append(v)
                continue
            seen[key] = True
            if t is str:
                total += OBJECT + CHAR * len(v)
            elif t is float:
                total += OBJECT
            elif t is list:
                total += OBJECT + SLOT * len(v)
                stack.extend(v)
            elif t is Closure:
                total += OBJECT + SLOT
                stack.append(v.env)
            elif t is HashMap:
                total += OBJECT + 3 * SLOT * len(v)
                for k, x in v.items():
                    stack.append(k)
                    stack.append(x)
            elif t is HashSet:
                total += OBJECT + 2 * SLOT * len(v)
                stack.extend(v.elements())
            elif t is Struct:
                total += OBJECT + SLOT * len(v.fields)
                stack.extend(v.fields)
            elif t is OutputPort:
                for s in v.chunks:
                    total += CHAR * len(s)
            elif t is tuple:
                stack.extend(v)
            elif t is Continuation:  # a captured stack: its entries and their frames
                total += OBJECT + SLOT * len(v.saved)
                for entry in v.saved:
                    stack.append(entry[1])
            elif t is bytearray:
                total += OBJECT + len(v)
            elif t is Box:
                total += OBJECT + SLOT
                stack.append(v.v)
            elif t is Stream:
                total += PAIR
                stack.append(v.car)
                stack.append(v.thunk)
            elif t is Rational or t is Complex:
                total += OBJECT + SLOT
        return total
