"""The console in process: MicroPython's REPL framing byte for byte, and what snippets reach."""

from __future__ import annotations

import pytest

from emulator.board import VirtualBoard
from emulator.board.console import BANNER, RAW_BANNER

RAW = RAW_BANNER + b">"


class QuietApp:
    def __init__(self) -> None:
        self.stops: list[str] = []
        self.starts = 0

    def start(self, board: VirtualBoard) -> None:
        self.starts += 1
        board.console("agent up")

    def stop(self, reason: str) -> None:
        self.stops.append(reason)


def raw_board() -> VirtualBoard:
    board = VirtualBoard()
    board.serial.write(b"\r\x01")
    board.serial.read()
    assert board.serial.mode == "raw"
    return board


def exec_raw(board: VirtualBoard, code: bytes) -> bytes:
    board.serial.write(code + b"\x04")
    return board.serial.read()


def test_boot_without_app_shows_the_friendly_banner() -> None:
    board = VirtualBoard()
    assert board.serial.read() == BANNER + b">>> "


def test_app_log_lines_then_ctrl_c_interrupts_it() -> None:
    app = QuietApp()
    board = VirtualBoard(app=app)
    assert board.serial.read() == b"agent up\r\n"
    board.serial.write(b"\x01\x02 ignored while main.py runs")
    assert board.serial.read() == b"" and board.serial.mode == "app"
    board.serial.write(b"\r\x03")
    out = board.serial.read()
    assert out.startswith(b"Traceback (most recent call last):\r\n")
    assert b"KeyboardInterrupt: \r\n" in out
    assert out.endswith(BANNER + b">>> ")
    assert app.stops == ["interrupt"] and not board.app_running


def test_enter_raw_repl_like_mpremote() -> None:
    board = VirtualBoard(app=QuietApp())
    board.serial.read()
    board.serial.write(b"\r\x03")
    board.serial.read()
    board.serial.write(b"\r\x01")
    assert board.serial.read() == b"\r\n>>> \r\n" + RAW


def test_exec_answers_ok_output_eof_eof_prompt() -> None:
    board = raw_board()
    assert exec_raw(board, b"print('hi')\nprint(1+1)") == b"OKhi\r\n2\r\n\x04\x04>"


def test_exec_error_answers_the_traceback_between_the_eofs() -> None:
    board = raw_board()
    out = exec_raw(board, b"x = 1\ndef f():\n    return y\nf()")
    assert out == (
        b"OK\x04Traceback (most recent call last):\r\n"
        b'  File "<stdin>", line 4, in <module>\r\n'
        b'  File "<stdin>", line 3, in f\r\n'
        b"NameError: name 'y' is not defined\r\n\x04>"
    )


def test_syntax_error_and_oserror_look_like_micropython() -> None:
    board = raw_board()
    assert b'File "<stdin>", line 1\r\nSyntaxError: ' in exec_raw(board, b"def (")
    out = exec_raw(board, b"open('/missing')")
    assert out.endswith(b"OSError: [Errno 2] ENOENT\r\n\x04>")


def test_ctrl_c_in_raw_mode_clears_the_buffer_and_ctrl_a_repeats_the_banner() -> None:
    board = raw_board()
    board.serial.write(b"print('lost')\x03")
    assert exec_raw(board, b"print('kept')") == b"OKkept\r\n\x04\x04>"
    board.serial.write(b"junk\x01")
    assert board.serial.read() == RAW


def test_globals_persist_between_snippets_until_a_soft_reboot() -> None:
    board = raw_board()
    exec_raw(board, b"a = 41")
    assert exec_raw(board, b"print(a + 1)") == b"OK42\r\n\x04\x04>"
    board.serial.write(b"\x04")
    assert board.serial.read() == b"OK\r\nMPY: soft reboot\r\n" + RAW
    assert b"NameError" in exec_raw(board, b"print(a)")


def test_soft_reboot_in_raw_mode_skips_main_and_in_friendly_mode_runs_it() -> None:
    app = QuietApp()
    board = VirtualBoard(app=app)
    board.serial.write(b"\x03\r\x01")
    board.serial.read()
    board.serial.write(b"\x04")
    assert board.serial.read() == b"OK\r\nMPY: soft reboot\r\n" + RAW
    assert app.starts == 1
    board.serial.write(b"\x02")
    assert board.serial.read() == b"\r\n" + BANNER + b">>> "
    board.serial.write(b"\x04")
    assert board.serial.read() == b"\r\nMPY: soft reboot\r\nagent up\r\n"
    assert app.starts == 2 and board.serial.mode == "app"


def test_raw_paste_mode_with_flow_control() -> None:
    board = raw_board()
    board.serial.write(b"\x05A\x01")
    assert board.serial.read() == b"R\x01\x80\x00\x01"
    code = b"s = 0\n" + b"".join(b"s += %d\n" % i for i in range(60)) + b"print(s)"
    board.serial.write(code)
    credits = board.serial.read()
    assert credits == b"\x01" * (len(code) // 128)
    board.serial.write(b"\x04")
    assert board.serial.read() == b"\x04" + b"1770\r\n\x04\x04>"


def test_raw_paste_refuses_unknown_variants_and_ctrl_c_aborts() -> None:
    board = raw_board()
    board.serial.write(b"\x05B\x01")
    assert board.serial.read() == b"R\x00>"
    board.serial.write(b"\x05A\x01")
    board.serial.read()
    board.serial.write(b"print('never')\x03")
    assert board.serial.read() == b"\x04\x04KeyboardInterrupt: \r\n\x04>"


def test_file_put_and_get_the_way_mpremote_does() -> None:
    board = raw_board()
    payload = bytes(range(256)) * 3
    assert exec_raw(board, b"f=open('/data.bin','wb')\nw=f.write") == b"OK\x04\x04>"
    for i in range(0, len(payload), 256):
        assert exec_raw(board, b"w(" + repr(payload[i : i + 256]).encode() + b")") == b"OK\x04\x04>"
    exec_raw(board, b"f.close()")
    assert board.fs.read("/data.bin") == payload
    exec_raw(board, b"f=open('/data.bin','rb')\nr=f.read")
    back = b""
    while True:
        out = exec_raw(board, b"print(repr(r(256)))")
        chunk = eval(out[2 : out.index(b"\x04")].strip())
        if not chunk:
            break
        back += chunk
    assert back == payload


def test_os_module_works_on_the_virtual_flash() -> None:
    board = raw_board()
    code = (
        b"import os\nos.mkdir('lib')\nf=open('lib/m.py','w')\nf.write('x=1\\n')\nf.close()\n"
        b"os.rename('lib/m.py','lib/n.py')\nprint(os.listdir('/lib'), os.stat('/lib/n.py')[6])\n"
        b"print(list(os.ilistdir('/')), os.getcwd())"
    )
    assert exec_raw(board, code) == (b"OK['n.py'] 4\r\n[('lib', 16384, 0, 0)] /\r\n\x04\x04>")
    assert board.fs.read("/lib/n.py") == b"x=1\n"


def test_snippets_cannot_import_host_modules_or_open_host_files() -> None:
    board = raw_board()
    assert b"ImportError: no module named 'subprocess'" in exec_raw(board, b"import subprocess")
    assert b"ENOENT" in exec_raw(board, b"open('/etc/passwd')")


def test_time_in_snippets_is_virtual() -> None:
    board = raw_board()
    code = b"import time\nt=time.ticks_ms()\ntime.sleep(5)\n"
    out = exec_raw(board, code + b"print(time.ticks_diff(time.ticks_ms(), t))")
    assert out == b"OK5000\r\n\x04\x04>"
    assert board.clock.now() == pytest.approx(5.0)


def test_machine_reset_resets_the_board() -> None:
    app = QuietApp()
    board = VirtualBoard(app=app)
    board.serial.write(b"\x03\r\x01")
    board.serial.read()
    board.serial.write(b"import machine\nmachine.reset()\x04")
    assert board.serial.read() == b"OKagent up\r\n"  # no EOFs: the board went away
    assert board.boot_count == 2 and app.stops == ["interrupt"] and board.serial.mode == "app"
    assert board.reset_cause == 2


def test_sys_exit_is_a_soft_reboot() -> None:
    board = raw_board()
    assert exec_raw(board, b"import sys\nsys.exit()") == (b"OK\x04\x04MPY: soft reboot\r\n" + RAW)


def test_a_runaway_snippet_is_interrupted() -> None:
    board = raw_board()
    board.serial.session.line_budget = 1000
    assert b"KeyboardInterrupt" in exec_raw(board, b"while True:\n    pass")


def test_power_cut_during_a_snippet_silences_the_console() -> None:
    board = raw_board()
    board.flash.cut_power_at(1)
    assert exec_raw(board, b"open('/x','wb')") == b"OK"
    assert not board.powered
    board.serial.write(b"print(1)\x04")
    assert board.serial.read() == b""


def test_friendly_repl_echo_expressions_and_blocks() -> None:
    board = VirtualBoard()
    board.serial.read()
    board.serial.write(b"6*7\r")
    assert board.serial.read() == b"6*7\r\n42\r\n>>> "
    board.serial.write(b"if True:\r  print('y')\r\r")
    assert board.serial.read().endswith(b"y\r\n>>> ")
    board.serial.write(b"ab\x7fc\x1b[A\r")
    assert board.serial.read().endswith(b"NameError: name 'ac' is not defined\r\n>>> ")


def test_friendly_paste_mode() -> None:
    board = VirtualBoard()
    board.serial.read()
    board.serial.write(b"\x05")
    assert board.serial.read() == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
    board.serial.write(b"a = 2\rprint(a * 3)\x04")
    assert board.serial.read().endswith(b"\r\n6\r\n>>> ")


def test_console_port_reads_like_pyserial() -> None:
    board = VirtualBoard()
    port = board.serial.open(timeout=0.05)
    port.write(b"\r\x01")
    assert port.read_until(b"raw REPL; CTRL-B to exit\r\n>").endswith(RAW)
    port.write(b"print('x')\x04")
    assert port.read(2) == b"OK"
    assert port.read(100) == b"x\r\n\x04\x04>"  # timeout: returns what there is
    port.close()


def test_unread_output_is_bounded() -> None:
    board = VirtualBoard()
    board.serial.buffer_limit = 100
    for i in range(100):
        board.console(f"line {i}")
    assert board.serial.in_waiting == 100 and board.serial.dropped > 0
