"""Pseudo-random numbers: a xorshift32 generator per interpreter, seeded reproducibly.

The seed is the interpreter's ``seed`` attribute (0 if it has none), so a program run twice
with the same seed sees the same numbers, under CPython and MicroPython alike.  Not for
cryptography.
"""

from .. import context
from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..values import VOID
from ._util import need_int

_MASK = 0xFFFFFFFF


def _mix(seed):
    """A non-zero 32-bit state derived from any integer seed."""
    s = ((seed & _MASK) * 2654435761 + 0x9E3779B9) & _MASK
    s ^= (seed >> 32) & _MASK
    return s or 0x9E3779B9


def _state_of(interp):
    """The generator state of ``interp``, created from its seed on first use."""
    state = getattr(interp, "rng_state", None)
    if state is None:
        seed = getattr(interp, "seed", 0)
        state = [_mix(seed if type(seed) is int else 0)]
        interp.rng_state = state
    return state


def install(lib):
    # A library shared by several interpreters (lib.interp is None) keeps one generator per
    # interpreter, found through the running task; a private library keeps its own.
    seed = getattr(lib.interp, "seed", 0) if lib.interp is not None else 0
    own = [_mix(seed if type(seed) is int else 0)]
    d = lib.define

    def current_state():
        if lib.interp is not None:
            return own
        interp = context.current()
        return own if interp is None else _state_of(interp)

    def next32():
        state = current_state()
        x = state[0]
        x ^= (x << 13) & _MASK
        x ^= x >> 17
        x ^= (x << 5) & _MASK
        state[0] = x
        return x

    def below(k):
        """A uniformly distributed integer in [0, k) (k >= 1), by rejection sampling."""
        limit = 1 << 32
        words = 1
        while limit < k:
            limit <<= 32
            words += 1
        bound = limit - limit % k
        while True:
            r = 0
            for _ in range(words):
                r = (r << 32) | next32()
            if r < bound:
                return r % k

    def random(a=None, b=None):
        if a is None:
            return (next32() >> 8) / 16777216.0
        if b is None:
            need_int("random", a, 1)
            if a < 1:
                raise SteelError(
                    CONTRACT_VIOLATION, "random: expected a positive integer, found %d" % a
                )
            return below(a)
        need_int("random", a, 1)
        need_int("random", b, 2)
        if b <= a:
            raise SteelError(CONTRACT_VIOLATION, "random: the range [%d, %d) is empty" % (a, b))
        return a + below(b - a)

    def random_seed(k):
        if type(k) is not int:
            raise type_error("random-seed", "an integer", k, 1)
        current_state()[0] = _mix(k)
        return VOID

    d(
        "random",
        random,
        0,
        2,
        "(random [k] | [min max]) — a float in [0, 1), an integer in [0, k), or an integer "
        "in [min, max)",
    )
    d(
        "random-seed",
        random_seed,
        1,
        1,
        "(random-seed k) — restarts the generator from seed k; void",
    )
