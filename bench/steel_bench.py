"""Steel runtime benchmarks: seconds per workload, on CPython and on MicroPython.

    python bench/steel_bench.py                 # CPython, then MicroPython under Node
    python bench/steel_bench.py --no-micropython

Every workload runs the way the device agent runs programs: as a task in slices of 10,000
steps (preemption on) under the default memory cap (accounting on).  CPython figures are
the best of 5 runs; MicroPython (the 1.27 WebAssembly build, run by Node; floats are 64-bit
there, 32-bit on the ESP32-C3) runs each workload once, each in a fresh instance.  The
script's core is portable Python so the same file runs under both.
"""

import sys

WORKLOADS = [
    (
        "fib 25",
        "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))",
        "(fib 25)",
        75025,
    ),
    (
        "tak 18 12 6",
        "(define (tak x y z) (if (not (< y x)) z"
        " (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))",
        "(tak 18 12 6)",
        7,
    ),
    (
        "nqueens 8",
        """
        (define (ok? row dist placed)
          (or (null? placed)
              (and (not (= (car placed) (+ row dist)))
                   (not (= (car placed) (- row dist)))
                   (not (= (car placed) row))
                   (ok? row (+ dist 1) (cdr placed)))))
        (define (try-it x y z)
          (if (null? x)
              (if (null? y) 1 0)
              (+ (if (ok? (car x) 1 z) (try-it (append (cdr x) y) '() (cons (car x) z)) 0)
                 (try-it (cdr x) (cons (car x) y) z))))
        (define (queens n) (try-it (range 1 (+ n 1)) '() '()))""",
        "(queens 8)",
        92,
    ),
    (
        "tail loop 1e6",
        "(define (count-up i) (if (< i 1000000) (count-up (+ i 1)) i))",
        "(count-up 0)",
        1000000,
    ),
    (
        "deep recursion 1e5",
        "(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1)))))",
        "(depth 100000)",
        100000,
    ),
    (
        "string building",
        """
        (define (build n)
          (let ((port (open-output-string)))
            (let loop ((i 0))
              (when (< i n)
                (write-string (string-append "reading-" (number->string i) ";") port)
                (loop (+ i 1))))
            (string-length (get-output-string port))))""",
        "(build 20000)",
        9 * 20000 + sum(len(str(i)) for i in range(20000)),
    ),
    (
        "hash-map churn",
        """
        (define (churn n)
          (let loop ((i 0) (h (hash)))
            (if (< i n)
                (loop (+ i 1)
                      (hash-insert (hash-remove h (modulo (- i 64) 128)) (modulo i 128) i))
                (hash-length h))))""",
        "(churn 20000)",
        64,
    ),
]

SLICE = 10000


def run_workload(Interpreter, clock, definitions, expression):
    interp = Interpreter(output=lambda s: None)
    interp.eval(definitions)
    task = interp.spawn(interp.compile(expression))
    start = clock()
    while task.run(SLICE) != "done":
        pass
    return clock() - start, task.value


def run_all(clock, repeats):
    from firmware.steel import Interpreter

    results = []
    for name, definitions, expression, expected in WORKLOADS:
        best = None
        for _ in range(repeats):
            seconds, value = run_workload(Interpreter, clock, definitions, expression)
            if value != expected:
                raise SystemExit("%s: got %r, expected %r" % (name, value, expected))
            if best is None or seconds < best:
                best = seconds
        results.append((name, best))
    return results


def _micropython_clock():
    import time

    return time.ticks_ms() / 1000.0


def main_micropython(selected):
    global WORKLOADS
    import gc

    WORKLOADS = [w for w in WORKLOADS if w[0] in selected]
    gc.collect()
    for name, seconds in run_all(_micropython_clock, 1):
        print("%s\t%.3f" % (name, seconds))


def main_cpython():
    import argparse
    import os
    import platform
    import shutil
    import subprocess
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-micropython", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    cpython = run_all(time.perf_counter, args.repeats)
    micro = {}
    note = ""
    if not args.no_micropython:
        runner = os.path.join(root, "ci", "micropython", "run-script.mjs")
        modules = os.path.join(root, "ci", "micropython", "node_modules")
        if shutil.which("node") is None or not os.path.isdir(modules):
            note = (
                "(MicroPython skipped: run `bash ci/micropython/run-tests.sh` once to install it)"
            )
        else:
            # One fresh MicroPython per workload: its allocator's cost depends on how
            # fragmented the heap already is, so workloads must not inherit each other's.
            for workload in WORKLOADS:
                out = subprocess.run(
                    ["node", runner, root, os.path.abspath(__file__), workload[0]],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                for line in out.splitlines():
                    name, seconds = line.split("\t")
                    micro[name] = float(seconds)
    print(
        "Steel runtime benchmarks — %s, %d cores, CPython %s"
        % (platform.machine(), os.cpu_count() or 0, platform.python_version())
    )
    print("preemption on (slices of %d steps), memory accounting on (default cap)" % SLICE)
    print()
    print("%-20s %12s %16s" % ("workload", "CPython (s)", "MicroPython (s)"))
    for name, seconds in cpython:
        mp = "%.3f" % micro[name] if name in micro else "-"
        print("%-20s %12.3f %16s" % (name, seconds, mp))
    if note:
        print(note)


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        main_micropython(sys.argv[1:])
    else:
        main_cpython()
