"""Boxes: mutable cells, and Steel's thread-local cells built on them.

``box-strong``, weak boxes and thread-local storage exist in Steel for its garbage
collector and threads; a device program runs in one thread, so they are ordinary boxes
here (a weak box keeps its value alive).
"""

from ..errors import type_error
from ..memory import OBJECT
from ..objects import Box
from ..values import VOID


def _box(who, b):
    if type(b) is not Box:
        raise type_error(who, "a box", b, 1)
    return b


def box_p(x):
    return type(x) is Box


def install(lib):
    d = lib.define
    meter = lib.meter

    def box(v):
        meter.charge(OBJECT)
        return Box(v)

    def unbox(who):
        def get(b):
            return _box(who, b).v

        return get

    def set_box(who):
        def put(b, v):
            _box(who, b).v = v
            return VOID

        return put

    d("box", box, 1, 1, "(box v) — a new mutable cell holding v")
    d("box-strong", box, 1, 1, "(box-strong v) — same as box")
    d("make-weak-box", box, 1, 1, "(make-weak-box v) — a box (weak boxes keep their value here)")
    d("make-tls", box, 1, 1, "(make-tls v) — a thread-local cell holding v (a box: one thread)")
    d("box?", box_p, 1, 1, "(box? v) — #t if v is a box")
    d("unbox", unbox("unbox"), 1, 1, "(unbox b) — the value in the box b")
    d("unbox-strong", unbox("unbox-strong"), 1, 1, "(unbox-strong b) — same as unbox")
    d("weak-box-value", unbox("weak-box-value"), 1, 1, "(weak-box-value b) — same as unbox")
    d("get-tls", unbox("get-tls"), 1, 1, "(get-tls cell) — the value of a thread-local cell")
    d("set-box!", set_box("set-box!"), 2, 2, "(set-box! b v) — stores v in the box b; void")
    d("set-strong-box!", set_box("set-strong-box!"), 2, 2, "(set-strong-box! b v) — set-box!")
    d("set-tls!", set_box("set-tls!"), 2, 2, "(set-tls! cell v) — stores v in the cell; void")
