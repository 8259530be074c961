"""Interpreters running on different threads at the same time stay separate (CPython)."""

from __future__ import annotations

import threading

from firmware.steel import Interpreter, SteelError


def test_concurrent_interpreters_charge_their_own_meters_and_outputs() -> None:
    results: dict[str, object] = {}
    outputs: dict[str, list[str]] = {"bomb": [], "worker": []}

    def bomb() -> None:
        interp = Interpreter(output=outputs["bomb"].append, memory_limit=500_000)
        try:
            interp.eval("(display 'start) (let loop ((acc '())) (loop (cons 1 acc)))")
        except SteelError as e:
            results["bomb"] = e.kind

    def worker() -> None:
        interp = Interpreter(output=outputs["worker"].append, memory_limit=64 * 1024 * 1024)
        src = "(define (build n acc) (if (= n 0) acc (build (- n 1) (cons n acc))))"
        interp.eval(src)
        total = 0
        for _ in range(20):
            total += interp.eval("(length (build 20000 '()))")
        interp.eval("(display 'done)")
        results["worker"] = total

    threads = [threading.Thread(target=bomb), threading.Thread(target=worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {"bomb": "OutOfMemory", "worker": 400_000}
    assert "".join(outputs["bomb"]) == "start"
    assert "".join(outputs["worker"]) == "done"
