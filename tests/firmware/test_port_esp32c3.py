"""The ESP32-C3 port (firmware/ports/esp32c3) against fakes of MicroPython's hardware modules.

There is no board on the development machine: these tests run the port's own code (pins,
I2C, Wi-Fi, NTP, TLS settings, umqtt, the main loop) with the fakes of esp32c3_fakes in
place of ``machine``, ``neopixel``, ``network``, ``ntptime``, ``ssl``, ``umqtt.simple``,
``requests``, ``time`` and ``gc``.  They run under CPython and under MicroPython.
"""

import json

from firmware.agent.events import Reboot
from firmware.agent.jobs import JobsHandler
from firmware.agent.storage import Storage, sha256_hex
from firmware.drivers.errors import SensorError
from firmware.drivers.icm42670 import ICM42670
from firmware.drivers.shtc3 import SHTC3
from tests.firmware import esp32c3_fakes as fakes
from tests.firmware.support import approx, raises, read_text, repo_path

THING = "dev-1"
STATUS = "steel-programs/dev-1/status"


def rig(config=None, hw=None, jobs=None, **provision):
    """(port, hw, device): a provisioned board running the port's main loop, not started."""
    port = fakes.load_port(hw)
    fs = fakes.provision(port, config=config, **provision)
    device = port.app.Device(port.new_board(), fs, jobs=jobs)
    return port, port.hw, device


def run_until(device, done, steps=5000):
    for _ in range(steps):
        if done():
            return
        device.step()
    assert done(), "not reached within %d passes of the main loop" % steps


def started(config=None, hw=None, jobs=None):
    port, hw, device = rig(config, hw, jobs)
    device.start()
    run_until(device, lambda: device.agent.connected and device.link.connected)
    return port, hw, device


def states(hw, program_id=None):
    out = []
    for text in hw.broker.messages(STATUS):
        msg = json.loads(text)
        if program_id is None or msg.get("program_id") == program_id:
            out.append(msg["state"])
    return out


def load(hw, program_id, source, **extra):
    req = {"program_id": program_id, "source": source}
    for k in extra:
        req[k] = extra[k]
    hw.broker.send("steel-programs/%s/load" % THING, req)


# --- pins, pixel, button ------------------------------------------------------------------


def test_led_is_gpio7_active_high_and_the_pixel_is_gpio2():
    port = fakes.load_port()
    hw = port.hw
    board = port.new_board()
    led = hw.gpio(7)
    assert led.mode == fakes.Pin_OUT and hw.led == 0  # off from the start
    board.set_led(True)
    assert hw.led == 1
    board.set_led(False)
    assert hw.led == 0
    assert [v for _, v in led.history] == [0, 1, 0]
    board.set_pixel(255, 16, 0)
    assert hw.pixel == (255, 16, 0)
    assert [pin for pin, _ in hw.pixel_writes] == [2]


def test_boot_button_is_gpio9_pulled_up_and_pressed_at_zero():
    port = fakes.load_port()
    hw = port.hw
    board = port.new_board()
    assert hw.gpio(9).mode == fakes.Pin_IN and hw.gpio(9).pull == fakes.Pin_PULL_UP
    assert board.button_pressed() is False and board.button_changes() == []
    hw.press()
    assert board.button_pressed() is True
    assert board.button_changes() == [True]
    assert board.button_changes() == []
    hw.time.advance(200)
    hw.release()
    assert board.button_changes() == [False]


def test_a_press_between_two_polls_is_not_lost_but_bounce_is_ignored():
    port = fakes.load_port()
    hw = port.hw
    board = port.new_board()
    hw.time.advance(100)
    hw.press()
    hw.release()  # both before the main loop looked: only the IRQ saw it
    assert board.button_changes() == [True, False]
    hw.time.advance(100)
    hw.press()
    assert board.button_changes() == [True]
    hw.time.advance(5)
    hw.release()  # contact bounce right after the press was reported
    hw.press()
    assert board.button_changes() == []
    hw.time.advance(300)
    hw.release()
    assert board.button_changes() == [False]


# --- sensors over machine.I2C ------------------------------------------------------------


def test_i2c_is_bus_0_on_scl8_sda10_at_400khz():
    port = fakes.load_port()
    port.new_board()
    (bus,) = port.hw.i2c_buses
    assert (bus.scl, bus.sda, bus.freq) == (8, 10, 400000)
    assert bus.scan() == [0x68, 0x70]


def test_shtc3_reads_go_through_machine_i2c_with_the_drivers_bytes():
    port = fakes.load_port()
    hw = port.hw
    board = port.new_board()
    hw.sensors.set(temperature=24.5, humidity=61.25)
    t, rh = SHTC3(board.i2c, board.delay_ms).read()
    assert approx(t, 24.5, 1e-3) and approx(rh, 61.25, 1e-3)
    shtc3 = [e for e in hw.i2c_log if e[1] == 0x70]
    assert shtc3[0] == ("w", 0x70, b"\x35\x17")  # wakeup
    assert shtc3[1] == ("w", 0x70, b"\x78\x66")  # measure, T first, no clock stretching
    assert ("r", 0x70, 6) in shtc3
    assert shtc3[-1] == ("w", 0x70, b"\xb0\x98")  # back to sleep


def test_icm42670_register_reads_use_readfrom_mem():
    port = fakes.load_port()
    hw = port.hw
    board = port.new_board()
    hw.sensors.set(accel_x=0.5, accel_z=-1.0, gyro_y=90.0)
    accel, gyro, _ = ICM42670(board.i2c, board.delay_ms).read()
    assert approx(accel[0], 0.5, 1e-3) and approx(accel[2], -1.0, 1e-3)
    assert approx(gyro[1], 90.0, 1e-2)
    assert ("mem", 0x68, 0x75, 1) in hw.i2c_log  # WHO_AM_I
    assert ("mem", 0x68, 0x09, 14) in hw.i2c_log  # one burst: temperature, accel, gyro


def test_on_other_pins_the_sensors_do_not_answer():
    port = fakes.load_port()
    machine = port.hw.fakes["machine"]
    wrong = port.board.MachineI2C(machine.I2C(0))  # MicroPython's C3 defaults: SCL 9, SDA 8
    with raises(SensorError):
        SHTC3(wrong, port.hw.fakes["time"].sleep_ms).read()


# --- filesystem ---------------------------------------------------------------------------


def test_littlefs_port_contract():
    port = fakes.load_port()
    fs = port.fs.LittleFs(fakes._fresh_dir())
    assert fs.read("/nothing") is None
    assert fs.listdir("/nowhere") == []
    fs.mkdir("/data/programs")
    fs.mkdir("/data/programs")  # exists: no error
    fs.write("/data/programs/a.tmp", b"new")
    fs.write("/data/programs/a", b"old")
    fs.rename("/data/programs/a.tmp", "/data/programs/a")  # replaces
    assert fs.read("/data/programs/a") == b"new"
    assert fs.listdir("/data/programs") == ["a"]
    fs.remove("/data/programs/a")
    fs.remove("/data/programs/a")  # gone: no error
    assert fs.listdir("/data/programs") == []
    storage = Storage(fs)
    storage.write("/data/x.json", b'{"a": 1}')
    assert storage.read("/data/x.json") == b'{"a": 1}'


# --- TLS, Wi-Fi, NTP ----------------------------------------------------------------------


def test_tls_context_requires_the_broker_certificate_and_presents_the_device_one():
    port, hw, device = rig()
    ctx = device.link.context
    ssl = hw.fakes["ssl"]
    assert ctx.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert ctx.verify_mode == ssl.CERT_REQUIRED  # MicroPython's default is CERT_NONE
    # the certificates as bytes from the (checksummed) files, not paths
    assert ctx.ca == fakes.CA
    assert (ctx.cert, ctx.key) == (fakes.DEVICE_CERT, fakes.DEVICE_KEY)
    assert device.link.client.server == fakes.HOST and device.link.client.port == fakes.PORT
    assert device.link.client.client_id == THING


def test_an_impostor_broker_is_refused():
    port, hw, device = rig()
    hw.broker.ca = fakes.OTHER_CA  # its certificate chains to a CA the device does not trust
    device.start()
    run_until(device, lambda: device.agent.session.state == "backoff")
    assert hw.broker.connects == []
    assert not device.agent.connected
    assert any("-9984" in line for line in hw.console), hw.console


def test_wifi_then_ntp_then_tls_in_that_order():
    port, hw, device = rig()
    hw.ntp_failures = 1  # the first NTP request times out: TLS would fail without the date
    device.start()
    run_until(device, lambda: device.agent.connected)
    assert hw.ntp_requests == ["pool.ntp.org", "pool.ntp.org"]
    assert len(hw.broker.connects) == 1
    assert any("NTP" in line for line in hw.console), hw.console
    # the agent's wall clock is Unix time now, from an RTC that counts from 2000
    assert abs(device.board.wall_time() - fakes.NTP_NOW) < 3600


def test_wrong_wifi_password_retries_with_the_agents_backoff():
    port, hw, device = rig(wifi={"ssid": "lab", "password": "typo", "timeout": 2})
    device.start()
    run_until(device, lambda: hw.wifi_joins >= 3)
    assert not device.agent.connected
    assert any("status 202" in line for line in hw.console), hw.console  # wrong password
    hw.ap.password = "typo"  # the network's password is changed to match
    run_until(device, lambda: device.agent.connected)
    assert device.agent.session.connects == 1


def test_wifi_settings_are_checked():
    port = fakes.load_port()
    fs = fakes.provision(port, wifi={"password": "x"})
    board = port.new_board()
    assert port.app.main(board=board, fs=fs) is None
    assert any("/wifi.json: ssid" in line for line in port.hw.console), port.hw.console


# --- the main loop ------------------------------------------------------------------------


def test_boot_connects_subscribes_and_reports():
    port, hw, device = started()
    (connect,) = hw.broker.connects
    assert connect[1:] == (THING, False, False)  # persistent session, none yet
    subs = hw.broker.subscriptions(THING)
    assert "steel-programs/dev-1/load" in subs and "steel-programs/broadcast/load" in subs
    shadow = hw.broker.messages("$aws/things/dev-1/shadow/update")
    assert json.loads(shadow[0])["state"]["reported"]["agent"]["firmware"] == "0.1.0"


def test_a_load_message_runs_the_program_and_the_status_goes_back():
    port, hw, device = started()
    load(hw, "hello", '(led-on) (mqtt-publish "hello" "world")')
    run_until(device, lambda: "finished" in states(hw, "hello"))
    assert states(hw, "hello") == ["loaded", "running", "finished"]
    assert hw.broker.messages("hello/dev-1") == ["world"]
    assert hw.led == 1


def test_sensor_monitor_every_60_virtual_seconds_with_alert():
    port, hw, device = started()
    hw.sensors.set(temperature=31.5, humidity=40.0)
    load(hw, "monitor", read_text("scenarios", "programs", "sensor-monitor.scm"))
    run_until(device, lambda: len(hw.broker.messages("sensors/dev-1/data")) >= 2, 20000)
    data = [r for r in hw.broker.received if r[2] == "sensors/dev-1/data"]
    assert json.loads(data[0][3].decode()) == {"temperature": 31.5, "humidity": 40.0}
    assert abs((data[1][0] - data[0][0]) - 60000) < 100  # the timer, on the loop's clock
    alert = json.loads(hw.broker.messages("alerts/dev-1/temperature")[0])
    assert alert["temperature"] == 31.5 and alert["threshold"] == 30
    assert abs(alert["timestamp"] - fakes.NTP_NOW) < 3600
    assert hw.led == 1


def test_metrics_carry_the_heap_from_gc():
    port, hw, device = started({"metrics_interval": 5})
    run_until(device, lambda: hw.broker.messages("metrics/dev-1"))
    metrics = json.loads(hw.broker.messages("metrics/dev-1")[0])
    assert metrics["heap_free"] == 90000 and metrics["heap_total"] == 160000


def test_the_button_reaches_the_program():
    port, hw, device = started()
    src = '(on-button (lambda (down) (mqtt-publish "button" (if down "down" "up"))))'
    load(hw, "btn", src)
    run_until(device, lambda: "running" in states(hw, "btn"))
    device.step()
    hw.press()
    run_until(device, lambda: hw.broker.messages("button/dev-1") == ["down"])
    hw.time.advance(300)
    hw.release()
    run_until(device, lambda: hw.broker.messages("button/dev-1") == ["down", "up"])


def test_an_idle_session_pings_within_the_keepalive():
    port, hw, device = started()
    client = device.link.client
    connected_at = hw.broker.connects[0][0]
    run_until(device, lambda: len(client.pings) >= 3, 50000)
    gaps = [b - a for a, b in zip([connected_at] + client.pings, client.pings)]
    assert max(gaps) <= client.keepalive * 1000, gaps  # the broker allows 1.5 x keepalive
    assert device.agent.session.reconnects == 0


def test_reconnects_after_the_client_raises_oserror_and_gets_what_was_sent_meanwhile():
    port, hw, device = started()
    hw.broker.drop(THING)  # the next read raises OSError
    load(hw, "late", '(mqtt-publish "late" "here")')  # queued in the persistent session
    run_until(device, lambda: device.agent.session.reconnects == 1)
    assert [c[3] for c in hw.broker.connects] == [False, True]  # session present
    run_until(device, lambda: hw.broker.messages("late/dev-1") == ["here"])
    assert any("connection lost" in line for line in hw.console), hw.console


def test_a_publish_lost_with_the_connection_goes_out_after_the_reconnect():
    port, hw, device = started()
    src = (
        "(define n 0)"
        '(define (beat) (set! n (+ n 1)) (mqtt-publish "beat" (number->string n))'
        ' (set-timer "beat" 10 beat))'
        "(beat)"
    )
    load(hw, "beat", src)
    run_until(device, lambda: hw.broker.messages("beat/dev-1") == ["1"])
    hw.broker.lose_next_publish.add(THING)  # "2" dies on the wire with the connection
    run_until(device, lambda: len(hw.broker.messages("beat/dev-1")) >= 3, 20000)
    assert hw.broker.messages("beat/dev-1")[:3] == ["1", "2", "3"]
    assert device.agent.session.reconnects == 1
    assert device.agent.metrics_snapshot()["dropped"]["offline_queue"] == 0


def test_unsubscribe_when_the_program_is_unloaded():
    port, hw, device = started()
    src = '(mqtt-subscribe "cmd" (lambda (topic payload) (mqtt-publish "echo" payload)))'
    load(hw, "sub", src)
    run_until(device, lambda: "cmd/dev-1" in hw.broker.subscriptions(THING))
    hw.broker.send("cmd/dev-1", "ping")
    run_until(device, lambda: hw.broker.messages("echo/dev-1") == ["ping"])
    hw.broker.send("steel-programs/dev-1/unload", {"program_id": "sub"})
    run_until(device, lambda: "cmd/dev-1" not in hw.broker.subscriptions(THING))
    assert "cmd/dev-1" in hw.unsubscribed
    load(hw, "after", '(mqtt-publish "still" "up")')  # the session survived the raw packet
    run_until(device, lambda: hw.broker.messages("still/dev-1") == ["up"])
    assert device.agent.session.reconnects == 0


def test_a_program_by_url_is_fetched_with_requests():
    port, hw, device = started()
    source = b'(mqtt-publish "fetched" "yes")'
    url = "http://programs.test/p.scm"
    hw.http[url] = source
    load_req = {"program_id": "remote", "url": url, "sha256": sha256_hex(source)}
    hw.broker.send("steel-programs/dev-1/load", load_req)
    run_until(device, lambda: hw.broker.messages("fetched/dev-1") == ["yes"])
    assert hw.http_requests == [url]
    missing = {"program_id": "gone", "url": url + "x", "sha256": sha256_hex(source)}
    hw.broker.send("steel-programs/dev-1/load", missing)
    run_until(device, lambda: "rejected" in states(hw, "gone"))
    rejected = json.loads(hw.broker.messages(STATUS)[-1])
    assert rejected["reason"] == "fetch-failed" and "HTTP 404" in rejected["detail"]


class RebootOnJob(JobsHandler):
    def on_message(self, agent, topic, payload, now):
        return [Reboot("job " + payload.decode())]


def test_a_reboot_action_resets_the_board():
    port, hw, device = started(jobs=RebootOnJob())
    hw.broker.send("$aws/things/dev-1/jobs/notify-next", "j1")
    with raises(fakes.MachineReset):
        run_until(device, lambda: False, 200)
    assert hw.resets == 1
    assert "agent: rebooting (job j1)" in hw.console


def test_the_app_says_what_is_missing_on_an_unprovisioned_board():
    port = fakes.load_port()
    board = port.new_board()
    fs = port.fs.LittleFs(fakes._fresh_dir())
    assert port.app.main(board=board, fs=fs) is None
    assert any("cannot start: /config.json: missing" in line for line in port.hw.console)


def test_monotonic_time_survives_the_ticks_wrap():
    hw = fakes.Hardware(start_ms=fakes.FakeTime.TICKS_PERIOD - 1500)
    port = fakes.load_port(hw)
    clock = port.app.Monotonic()
    seen = []
    for _ in range(4):
        hw.time.advance(1000)
        seen.append(clock.now())
    assert seen == [1.0, 2.0, 3.0, 4.0]


# --- MicroPython only -----------------------------------------------------------------------

ALLOWED_IMPORTS = (
    "machine",
    "neopixel",
    "network",
    "ntptime",
    "umqtt.simple",
    "ssl",
    "requests",
    "time",
    "gc",
    "os",
    "io",
    "sys",
    "json",
    "struct",
    "steel_boot",  # /lib/steel_boot.py on the board: firmware/boot/selector.py
    "traceback",  # boot_main, only where sys.print_exception is missing (CPython)
)


def test_the_port_imports_only_what_micropython_on_the_c3_has():
    for name in fakes.PORT_MODULES + ("__init__",):
        with open(repo_path("firmware", "ports", "esp32c3", name + ".py")) as f:
            lines = f.read().split("\n")
        for line in lines:
            words = line.strip().split(" ")
            if words[0] not in ("import", "from") or len(words) < 2:
                continue
            module = words[1]
            if module.startswith("firmware.") or module.startswith("."):
                continue
            assert module in ALLOWED_IMPORTS, "%s.py imports %s" % (name, module)
