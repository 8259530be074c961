"""Steel's standard library of pure procedures (primitives).

Each module has ``install(lib)``, which defines its procedures on a
:class:`firmware.steel.library.Library`; :func:`install_all` installs every module.
Primitives never call Steel procedures; higher-order procedures (map, filter, sort, ...)
live in :mod:`firmware.steel.control`.  See docs/steel-stdlib-notes.md for where this
library departs from Steel.
"""

from . import (
    arithmetic,
    boxes,
    bytevectors,
    chars,
    division,
    formatting,
    hashes,
    inports,
    integers,
    io,
    json_codec,
    lists,
    mvectors,
    numcompare,
    numtext,
    predicates,
    rand,
    strings,
    symbols,
    transcendental,
    vectors,
)

MODULES = (
    arithmetic,
    division,
    numcompare,
    transcendental,
    integers,
    numtext,
    predicates,
    lists,
    strings,
    chars,
    vectors,
    mvectors,
    hashes,
    io,
    inports,
    bytevectors,
    boxes,
    symbols,
    formatting,
    json_codec,
    rand,
)


def install_all(lib):
    """Define every standard-library primitive on ``lib``."""
    for module in MODULES:
        module.install(lib)
