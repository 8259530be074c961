"""What one Steel VM step costs: microseconds per step on CPython and on MicroPython, and
the board estimate that an emulated device charges as virtual time (STEP_SECONDS).

    python bench/step_cost.py                 # CPython, then MicroPython under Node
    python bench/step_cost.py --no-micropython
    python bench/step_cost.py --pystone PATH  # calibrate against MicroPython's pystone

Why: an emulated board charges every VM step of a program as virtual time, so that a
computation takes as long as it would on an ESP32-C3 running MicroPython at 160 MHz.  No
board is attached here, so the rate is derived: measure microseconds per step in the
MicroPython 1.27 WebAssembly build under Node on this machine, then scale by how much
slower a C3 runs MicroPython than that build does (``BOARD_FACTOR``, see
docs/device.md, "Computation costs virtual time", for where the factor comes from).

Workloads are the kinds of work device programs do: calls and arithmetic (fib), a tail
loop, list building and traversal, string and JSON work, and hash maps.  Each runs as the
agent runs programs (slices of 2,000 steps, memory accounting on), long enough for the
WebAssembly engine to warm up.  The script's core is portable Python so the same file runs
under both.
"""

import sys

#: Pystone passes per second of MicroPython on a 160 MHz ESP32-C3 (misc_pystone.py of
#: MicroPython's tests/perf_bench), derived from published figures (docs/device.md).
BOARD_PYSTONE = (910.0, 1350.0)
#: Without a pystone run: how many times slower the C3 is than the WebAssembly build on
#: this kind of host, as measured on 2026-12-01 (docs/device.md).
BOARD_FACTOR = (15.0, 22.0)

WORKLOADS = [
    (
        "calls (fib 22)",
        "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))",
        "(fib 22)",
    ),
    ("tail loop", "(define (count i) (if (< i 300000) (count (+ i 1)) i))", "(count 0)"),
    (
        "lists",
        "(define (go n) (let loop ((i 0) (acc 0))"
        " (if (< i n) (loop (+ i 1) (+ acc (length (map (lambda (x) (* x x)) (range 0 20)))))"
        " acc)))",
        "(go 3000)",
    ),
    (
        "strings and json",
        "(define (go n) (let loop ((i 0) (acc 0))"
        ' (if (< i n) (loop (+ i 1) (+ acc (string-length (json-encode (list i (* i 2) "x")))))'
        " acc)))",
        "(go 6000)",
    ),
    (
        "hash maps",
        "(define (go n) (let loop ((i 0) (h (hash)))"
        " (if (< i n) (loop (+ i 1) (hash-insert h (modulo i 32) i)) (hash-length h))))",
        "(go 20000)",
    ),
]

SLICE = 2000


def run_workload(Interpreter, clock, definitions, expression):
    interp = Interpreter(output=lambda s: None)
    interp.eval(definitions)
    before = interp.steps
    task = interp.spawn(interp.compile(expression))
    start = clock()
    while task.run(SLICE) != "done":
        pass
    return clock() - start, interp.steps - before


def run_all(clock, repeats):
    from firmware.steel import Interpreter

    out = []
    for name, definitions, expression in WORKLOADS:
        best = None
        steps = 0
        for _ in range(repeats):
            seconds, steps = run_workload(Interpreter, clock, definitions, expression)
            if best is None or seconds < best:
                best = seconds
        out.append((name, steps, best))
    return out


def _micropython_clock():
    import time

    return time.ticks_us() / 1e6


def main_micropython():
    import gc

    gc.collect()
    run_all(_micropython_clock, 1)  # warm the engine up
    for name, steps, seconds in run_all(_micropython_clock, 2):
        print("%s\t%d\t%.6f" % (name, steps, seconds))
    setup = globals().get("bm_setup")  # pystone, when the runner put it in front of us
    if setup is not None:
        for _ in range(2):
            run, _result = setup((20000,))
            start = _micropython_clock()
            run()
            seconds = _micropython_clock() - start
        print("pystone\t20000\t%.6f" % seconds)


def main_cpython():
    import argparse
    import os
    import platform
    import shutil
    import subprocess
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-micropython", action="store_true")
    parser.add_argument(
        "--pystone",
        metavar="PATH",
        help="MicroPython's tests/perf_bench/misc_pystone.py: calibrate in the same run",
    )
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    from emulator.device.app import STEP_SECONDS

    cpython = run_all(time.perf_counter, 5)
    micro = {}
    note = ""
    runner = os.path.join(root, "ci", "micropython", "run-script.mjs")
    modules = os.path.join(root, "ci", "micropython", "node_modules")
    if args.no_micropython:
        note = "(MicroPython skipped)"
    elif shutil.which("node") is None or not os.path.isdir(modules):
        note = "(MicroPython skipped: run `bash ci/micropython/run-tests.sh` once to install it)"
    else:
        script = os.path.abspath(__file__)
        if args.pystone:
            import tempfile

            with open(args.pystone) as f, open(script) as g:
                combined = f.read() + "\n\n" + g.read()
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
                handle.write(combined)
            script = handle.name
        out = subprocess.run(
            ["node", runner, root, script],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line in out.splitlines():
            name, steps, seconds = line.split("\t")
            micro[name] = (int(steps), float(seconds))
    factor = BOARD_FACTOR
    if "pystone" in micro:
        passes, seconds = micro.pop("pystone")
        score = passes / seconds
        factor = (score / BOARD_PYSTONE[1], score / BOARD_PYSTONE[0])
        note = "pystone under MicroPython/wasm here: %.0f passes/s; the C3: %.0f-%.0f" % (
            score,
            BOARD_PYSTONE[0],
            BOARD_PYSTONE[1],
        )
    print(
        "Steel VM step cost -- %s, %d cores, CPython %s"
        % (platform.machine(), os.cpu_count() or 0, platform.python_version())
    )
    print("slices of %d steps, memory accounting on; microseconds per step" % SLICE)
    print()
    low, high = factor
    print(
        "%-18s %9s %9s %16s %20s"
        % ("workload", "steps", "CPython", "MicroPython/wasm", "C3 (x%.1f-%.1f)" % (low, high))
    )
    estimates = []
    for name, steps, seconds in cpython:
        cp = 1e6 * seconds / steps
        if name in micro:
            m_steps, m_seconds = micro[name]
            mp = 1e6 * m_seconds / m_steps
            estimates.append(mp)
            row = "%16.2f %11.0f-%-8.0f" % (mp, mp * low, mp * high)
        else:
            row = "%16s %20s" % ("-", "-")
        print("%-18s %9d %9.3f %s" % (name, steps, cp, row))
    if estimates:
        calls = estimates[0]
        print()
        print(
            "calls (the commonest work of device programs): %.0f-%.0f us/step on the board"
            % (calls * low, calls * high)
        )
    print(
        "the emulator charges %.0f us/step (emulator/device/app.py STEP_SECONDS)"
        % (STEP_SECONDS * 1e6)
    )
    if note:
        print(note)


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        main_micropython()
    else:
        main_cpython()
