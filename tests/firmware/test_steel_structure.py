"""The Steel runtime's module structure: imports run one way, and modules stay small.

Read from the source text (no ``ast`` module under MicroPython), so the check runs under
both runtimes.  Function-level imports count too: a circle hidden inside a function is
still a circle.
"""

import os

from .support import repo_path

ROOT = repo_path("firmware", "steel")
MAX_LINES = 620


def _modules():
    """{dotted name relative to firmware.steel: path}; packages are named by their dir."""
    out = {}
    stack = [("", ROOT)]
    while stack:
        prefix, path = stack.pop()
        for name in os.listdir(path):
            full = path + "/" + name
            if os.stat(full)[0] & 0x4000:
                if name != "__pycache__":
                    stack.append((prefix + name + ".", full))
            elif name.endswith(".py"):
                mod = name[:-3]
                out[prefix[:-1] if mod == "__init__" else prefix + mod] = full
    return out


def _imports(module, path, modules):
    """The firmware.steel modules ``module`` imports (relative imports only)."""
    package = module.split(".") if path.endswith("__init__.py") else module.split(".")[:-1]
    if module == "":
        package = []
    found = []
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line.startswith("from ."):
            continue
        words = line.split()
        target = words[1]
        dots = len(target) - len(target.lstrip("."))
        name = target[dots:]
        base = package[: len(package) - (dots - 1)] if dots > 1 else package
        dotted = ".".join(base + ([name] if name else []))
        names = line.split(" import ", 1)[1]
        if names.startswith("("):
            while ")" not in names and i < len(lines):
                names += " " + lines[i].strip()
                i += 1
        if name and dotted in modules:  # `from . import x` imports x, not the package
            found.append(dotted)
        for word in names.replace("(", " ").replace(")", " ").replace(",", " ").split():
            sub = (dotted + "." + word) if dotted else word
            if sub in modules:
                found.append(sub)
    return [m for m in found if m != module]


def test_imports_run_one_way():
    modules = _modules()
    graph = {}
    for m in modules:
        graph[m] = _imports(m, modules[m], modules)
    state = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        iters = [iter(graph[start])]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(graph[nxt]))


def test_the_circle_through_errors_printer_and_values_is_gone():
    modules = _modules()
    assert "printer" not in _imports("values", modules["values"], modules)
    assert "errors" not in _imports("values", modules["values"], modules)
    assert "condition" in _imports("values", modules["values"], modules)


def test_modules_stay_small():
    for name, path in _modules().items():
        with open(path) as f:
            n = len(f.read().split("\n"))
        assert n <= MAX_LINES, "%s has %d lines; split it along its seams" % (path, n)
