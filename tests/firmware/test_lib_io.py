from firmware.steel.ports import InputPort, OutputPort
from firmware.steel.values import EOF, VOID

from .test_lib_support import ch, fails, lst, make_lib, sym

TM = "TypeMismatch"
CV = "ContractViolation"
GEN = "Generic"
OOM = "OutOfMemory"


def fresh():
    lib = make_lib()
    return lib, lib.table


def test_display_write_newline_to_current_output():
    lib, t = fresh()
    assert t["display"].fn("hi") is VOID
    t["display"].fn(ch("c"))
    t["display"].fn(lst(1, "two", sym("three"), ch("x")))
    t["newline"].fn()
    t["write"].fn('q"uote')
    t["write"].fn(ch("a"))
    t["write"].fn(lst("s", 1.5))
    t["write-string"].fn("ws")
    t["write-char"].fn(ch("!"))
    assert lib.output.getvalue() == 'hic(1 two three x)\n"q\\"uote"#\\a("s" 1.5)ws!'


def test_output_follows_lib_output():
    lib, t = fresh()
    first = lib.output
    t["display"].fn("a")
    lib.output = OutputPort()
    t["display"].fn("b")
    assert first.getvalue() == "a"
    assert lib.output.getvalue() == "b"


def test_sink_ports():
    lib, t = fresh()
    seen = []
    lib.output = OutputPort(seen.append)
    t["displayln"].fn("x", 1)
    assert seen == ["x 1\n"]


def test_ports_as_arguments():
    lib, t = fresh()
    p = t["open-output-string"].fn()
    assert type(p) is OutputPort
    t["display"].fn("a", p)
    t["write"].fn("b", p)
    t["newline"].fn(p)
    t["write-string"].fn("c", p)
    t["write-char"].fn(ch("d"), p)
    t["displayln"].fn("e", 1, p)
    t["displayln"].fn(p)  # a lone port is displayed, not used as the port
    assert t["get-output-string"].fn(p) == 'a"b"\ncde 1\n'
    assert lib.output.getvalue() == "#<port>\n"
    assert t["get-output-string"].fn(p) == 'a"b"\ncde 1\n'
    t["displayln"].fn()
    assert lib.output.getvalue() == "#<port>\n\n"
    fails(TM, "display", "a", "not a port", lib=lib)
    fails(TM, "write", "a", 5, lib=lib)
    fails(TM, "newline", "p", lib=lib)
    fails(TM, "write-string", 5, lib=lib)
    fails(TM, "write-string", "a", 5, lib=lib)
    fails(TM, "write-char", "a", lib=lib)
    fails(TM, "write-char", ch("a"), 5, lib=lib)
    fails(TM, "get-output-string", 5, lib=lib)
    fails(TM, "get-output-string", InputPort("x"), lib=lib)


def test_input_string_ports():
    lib, t = fresh()
    p = t["open-input-string"].fn("ab\ncd\n\nlast")
    assert type(p) is InputPort
    assert t["peek-char"].fn(p) is ch("a")
    assert t["read-char"].fn(p) is ch("a")
    assert t["read-line"].fn(p) == "b"
    assert t["read-line"].fn(p) == "cd"
    assert t["read-line"].fn(p) == ""
    assert t["read-string"].fn(2, p) == "la"
    assert t["read-line"].fn(p) == "st"
    assert t["read-line"].fn(p) is EOF
    assert t["read-char"].fn(p) is EOF
    assert t["peek-char"].fn(p) is EOF
    assert t["read-string"].fn(3, p) is EOF
    q = t["open-input-string"].fn("xyz")
    assert t["read-string"].fn(10, q) == "xyz"
    assert t["read-string"].fn(0, q) == ""
    fails(TM, "open-input-string", 5, lib=lib)
    for name in ("read-line", "read-char", "peek-char"):
        fails(TM, name, OutputPort(), lib=lib)
    fails(TM, "read-string", 1, "abc", lib=lib)
    fails(CV, "read-string", -1, q, lib=lib)


def test_eof_and_port_predicates():
    lib, t = fresh()
    assert t["eof-object"].fn() is EOF
    assert t["eof-object?"].fn(EOF) is True
    assert t["eof-object?"].fn("") is False
    assert t["output-port?"].fn(OutputPort()) is True
    assert t["output-port?"].fn(InputPort("")) is False
    assert t["input-port?"].fn(InputPort("")) is True
    assert t["input-port?"].fn("x") is False


def test_string_ports_are_metered():
    lib = make_lib(5000)
    t = lib.table
    p = t["open-output-string"].fn()
    t["display"].fn("x" * 1000, p)
    fails(OOM, "display", "x" * 5000, p, lib=lib)
    lib = make_lib(5000)
    lib.output = OutputPort(lambda s: None)
    lib.table["display"].fn("x" * 10000)  # text sent to a sink is not kept: not charged
