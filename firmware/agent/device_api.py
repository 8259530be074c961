"""The procedures a Steel program calls to reach its device (docs/steel-api.md).

Why a separate module: this is the surface programs are written against; keeping every
host procedure here, with its argument checks and its error messages, makes the API
reviewable in one place and keeps the scheduler and the agent free of Steel details.

Each procedure validates its arguments and raises :class:`SteelError` with Steel's
error kinds (``TypeMismatch`` for a wrong type, ``ContractViolation`` for a bad value,
``Io`` for a sensor that did not answer), so a program can catch them with
``with-handler`` and an uncaught one ends the program with line and column.

Procedures that publish (``mqtt-publish``, ``shadow-update``) are *control* procedures:
when the program's publish bucket is empty the calling task waits for a token instead of
failing (see :meth:`ProgramRuntime.throttled`).
"""

from ..drivers.errors import SensorError
from ..steel.errors import CONTRACT_VIOLATION, IO, SteelError, type_error
from ..steel.numtypes import Rational
from ..steel.printer import display_string
from ..steel.values import NIL, VOID, HashMap, Pair, SrcPair, Symbol, hash_key, intern, is_procedure
from . import shadow
from .logs import clip
from .topics import TopicError

MAX_PAYLOAD = 128 * 1024  # AWS IoT Core's message size limit
#: How long a shadow read waits for the shadow after a boot, by default (seconds).
SHADOW_WAIT = 10

_TEMPERATURE = intern("temperature")
_HUMIDITY = intern("humidity")
_ACCEL = intern("accel")
_GYRO = intern("gyro")
_X = intern("x")
_Y = intern("y")
_Z = intern("z")
_DESIRED = intern("desired")
_REPORTED = intern("reported")
_MISSING = object()


def _name(who, v, position):
    """A timer name or log level: a string or a symbol, as a string."""
    if type(v) is str:
        return v
    if type(v) is Symbol:
        return v.name
    raise type_error(who, "a string or a symbol", v, position)


def _number(who, v, position):
    if type(v) is Rational:  # an exact fraction such as (/ 1 2): seconds as a float
        return v.num / v.den
    if (type(v) is not int and type(v) is not float) or v != v:
        raise type_error(who, "a number", v, position)
    return v


def _procedure(who, v, position, allow_false=False):
    if allow_false and v is False:
        return None
    if not is_procedure(v):
        raise type_error(who, "a procedure" + (" or #f" if allow_false else ""), v, position)
    return v


def _xyz(values, digits):
    return (
        HashMap()
        .insert(_X, round(values[0], digits))
        .insert(_Y, round(values[1], digits))
        .insert(_Z, round(values[2], digits))
    )


def _alternate_key(key):
    if type(key) is Symbol:
        return key.name
    if type(key) is str:
        return intern(key)
    return _MISSING


def _alist_get(lst, key):
    alt = _alternate_key(key)
    hk = hash_key(key)
    x = lst
    while type(x) is Pair or type(x) is SrcPair:
        e = x.car
        if type(e) is Pair or type(e) is SrcPair:
            k = e.car
            if k is key or k is alt or (type(k) is str and k == alt) or hash_key(k) == hk:
                return e.cdr
        x = x.cdr
    return _MISSING


def install(interp, rt, host):
    """Define the device API in ``interp`` for runtime ``rt`` of agent ``host``."""
    board = host.board
    encode = interp.builtin("json-encode").fn
    d = interp.define_host  # never inlined: the emulator stamps what they do by step count
    c = interp.define_control

    # --- logging and identity ------------------------------------------------------------

    def log(level, message):
        lvl = _name("log", level, 1)
        text = message if type(message) is str else display_string(message)
        host.program_log(rt.program_id, lvl, clip(text))
        return VOID

    d("log", log, 2, 2, "(log level message) — a log line to the console and logs/T")
    # `log` above shadows Steel's logarithm; keep it reachable.
    interp.define("math-log", interp.builtin("log"))

    def device_id():
        return host.thing

    d("device-id", device_id, 0, 0, "(device-id) — this device's thing name")

    def current_time():
        # An exact integer: on the board floats are 32-bit, and 1.7e9 as a float32 is off
        # by up to a minute.
        return int(board.wall_time())

    d("current-time", current_time, 0, 0, "(current-time) — seconds since 1970 (an integer)")

    # --- LEDs and button -------------------------------------------------------------------

    # Output changes are also printed on the console ("led: on", "pixel: 255,64,0"): on a
    # real board that is how a harness on the serial port sees them without stopping the
    # firmware (the raw REPL would).  Only changes, so a fast blink cannot flood the port.
    shown = {}

    def show(what, text):
        if shown.get(what) != text:
            shown[what] = text
            host.console("%s: %s" % (what, text))

    def led_on():
        board.set_led(True)
        host.trace("led", {"state": True, "program_id": rt.program_id})
        show("led", "on")
        return VOID

    def led_off():
        board.set_led(False)
        host.trace("led", {"state": False, "program_id": rt.program_id})
        show("led", "off")
        return VOID

    d("led-on", led_on, 0, 0, "(led-on) — the LED on GPIO7 on")
    d("led-off", led_off, 0, 0, "(led-off) — the LED on GPIO7 off")

    def led_set_color(r, g, b):
        rgb = [r, g, b]
        for i in range(3):
            v = rgb[i]
            if type(v) is not int:
                raise type_error("led-set-color", "an integer 0-255", v, i + 1)
            if v < 0 or v > 255:
                raise SteelError(
                    CONTRACT_VIOLATION,
                    "led-set-color: component %d is %d, expected 0-255" % (i + 1, v),
                )
        board.set_pixel(r, g, b)
        host.trace("pixel", {"r": r, "g": g, "b": b, "program_id": rt.program_id})
        show("pixel", "%d,%d,%d" % (r, g, b))
        return VOID

    d("led-set-color", led_set_color, 3, 3, "(led-set-color r g b) — the WS2812 RGB LED")

    def button_pressed():
        return bool(board.button_pressed())

    d("button-pressed?", button_pressed, 0, 0, "(button-pressed?) — #t while BOOT is held")

    def on_button(handler):
        rt.button_handler = _procedure("on-button", handler, 1, True)
        return VOID

    d("on-button", on_button, 1, 1, "(on-button handler) — (handler pressed?) on each change")

    # --- sensors ---------------------------------------------------------------------------

    def read_sensors():
        try:
            t, h = host.shtc3().read()
        except SensorError as e:
            raise SteelError(IO, "read-sensors: %s" % e.message)
        return HashMap().insert(_TEMPERATURE, t).insert(_HUMIDITY, h)

    d(
        "read-sensors",
        read_sensors,
        0,
        0,
        "(read-sensors) — a hash map: temperature (°C) and humidity (%RH), from the SHTC3",
    )

    def read_imu():
        try:
            accel, gyro, temp = host.imu().read()
        except SensorError as e:
            host.imu_failed()
            raise SteelError(IO, "read-imu: %s" % e.message)
        return (
            HashMap()
            .insert(_ACCEL, _xyz(accel, 4))
            .insert(_GYRO, _xyz(gyro, 3))
            .insert(_TEMPERATURE, round(temp, 2))
        )

    d(
        "read-imu",
        read_imu,
        0,
        0,
        "(read-imu) — a hash map: accel (g) and gyro (dps) as maps of x y z, temperature (°C)",
    )

    # --- data ------------------------------------------------------------------------------

    def get(table, key, default=_MISSING):
        if type(table) is HashMap:
            v = table.get(key, _MISSING)
            if v is _MISSING:
                alt = _alternate_key(key)
                if alt is not _MISSING:
                    v = table.get(alt, _MISSING)
        elif table is NIL or type(table) is Pair or type(table) is SrcPair:
            v = _alist_get(table, key)
        else:
            raise type_error("get", "a hash map or an association list", table, 1)
        if v is _MISSING:
            return False if default is _MISSING else default
        return v

    d(
        "get",
        get,
        2,
        3,
        "(get table key [default]) — key's value in a hash map or alist (symbol and string "
        "keys match each other); default, or #f, if absent",
    )

    # --- MQTT ------------------------------------------------------------------------------

    def mqtt_publish(task, args, pos):
        topic = args[0]
        payload = args[1]
        qos = args[2] if len(args) > 2 else 1
        try:
            device_topic = host.topics.to_device(topic, "mqtt-publish")
        except TopicError as e:
            raise SteelError(CONTRACT_VIOLATION, e.message)
        text = payload if type(payload) is str else encode(payload)
        if qos != 0 and qos != 1:
            raise SteelError(CONTRACT_VIOLATION, "mqtt-publish: qos must be 0 or 1, not %s" % qos)
        if len(text) > MAX_PAYLOAD:
            raise SteelError(
                CONTRACT_VIOLATION,
                "mqtt-publish: the payload is %d characters; the limit is %d"
                % (len(text), MAX_PAYLOAD),
            )

        def send():
            host.program_publish(rt.program_id, topic, device_topic, text, qos)

        return rt.throttled(task, send)

    c(
        "mqtt-publish",
        mqtt_publish,
        2,
        3,
        "(mqtt-publish topic payload [qos]) — publish to the device form of a program topic",
    )

    def mqtt_subscribe(topic, handler):
        _procedure("mqtt-subscribe", handler, 2)
        rt.subscribe(topic, handler)
        return VOID

    d(
        "mqtt-subscribe",
        mqtt_subscribe,
        2,
        2,
        "(mqtt-subscribe topic handler) — (handler topic payload) for each message",
    )

    def mqtt_unsubscribe(topic):
        return rt.unsubscribe(topic)

    d(
        "mqtt-unsubscribe",
        mqtt_unsubscribe,
        1,
        1,
        "(mqtt-unsubscribe topic) — #t if it was subscribed",
    )

    # --- shadow ------------------------------------------------------------------------------

    def shadow_update(task, args, pos):
        key = _name("shadow-update", args[0], 1)
        if not key:
            raise SteelError(CONTRACT_VIOLATION, "shadow-update: the key is empty")
        if key == "agent":
            raise SteelError(
                CONTRACT_VIOLATION, "shadow-update: reported.agent belongs to the device agent"
            )
        value_text = shadow.value_json(args[1], encode)
        payload = shadow.reported(key, value_text)

        def send():
            host.shadow_update(rt.program_id, key, value_text, payload)

        return rt.throttled(task, send)

    c(
        "shadow-update",
        shadow_update,
        2,
        2,
        "(shadow-update key value) — writes state.reported.key in the device shadow",
    )

    def on_shadow_delta(handler):
        rt.shadow_handler = _procedure("on-shadow-delta", handler, 1, True)
        if rt.shadow_handler is not None:
            host.shadow_handler_registered()
        return VOID

    d(
        "on-shadow-delta",
        on_shadow_delta,
        1,
        1,
        "(on-shadow-delta handler) — (handler delta) for each desired-state delta",
    )

    # Reading the shadow: the state the device last heard (ShadowState).  Until the first
    # answer since boot a read waits for it, up to `timeout` seconds; then it answers #f.
    decode = interp.builtin("json-decode").fn

    def as_steel(value):
        return decode(shadow.sorted_json(value))

    def when_known(who, task, timeout, answer):
        state = host.shadow_state  # read when called: a checker's stand-in host has none
        if state.known:
            return answer()
        if timeout == 0:
            return answer()
        due = state.wait(rt, task, timeout)

        def wake():
            state.done_waiting(rt, task)
            task.resume(answer())

        task.wait_reason = "the device shadow"
        return rt.suspend(task, due, wake)

    def timeout_arg(who, args, position):
        if len(args) < position:
            return SHADOW_WAIT
        t = _number(who, args[position - 1], position)
        if t < 0 or t == float("inf"):
            raise SteelError(CONTRACT_VIOLATION, "%s: timeout must be finite and >= 0" % who)
        return t

    def shadow_get(task, args, pos):
        timeout = timeout_arg("shadow-get", args, 1)

        def answer():
            state = host.shadow_state
            if not state.known:
                return False
            return (
                HashMap()
                .insert(_DESIRED, as_steel(state.desired))
                .insert(_REPORTED, as_steel(state.reported))
            )

        return when_known("shadow-get", task, timeout, answer)

    c(
        "shadow-get",
        shadow_get,
        0,
        1,
        "(shadow-get [timeout]) — the shadow as last heard: a hash map of desired and "
        "reported; after a boot waits up to timeout s (10) for it, else #f",
    )

    def reader(who, part):
        def read(task, args, pos):
            key = _name(who, args[0], 1)
            default = args[1] if len(args) > 1 else False
            timeout = timeout_arg(who, args, 3)

            def answer():
                state = host.shadow_state
                values = state.desired if part == "desired" else state.reported
                if not state.known or key not in values:
                    return default
                return as_steel(values[key])

            return when_known(who, task, timeout, answer)

        return read

    for part in ("desired", "reported"):
        who = "shadow-" + part
        c(
            who,
            reader(who, part),
            1,
            3,
            "(%s key [default [timeout]]) — state.%s.key as last heard; default (#f) if "
            "absent; after a boot waits up to timeout s (10) for the shadow" % (who, part),
        )

    # --- timers --------------------------------------------------------------------------------

    def set_timer(name, seconds, proc):
        n = _name("set-timer", name, 1)
        s = _number("set-timer", seconds, 2)
        if s < 0 or s == float("inf"):
            raise SteelError(
                CONTRACT_VIOLATION, "set-timer: seconds must be finite and >= 0, not %s" % s
            )
        _procedure("set-timer", proc, 3)
        rt.set_timer(n, s, proc)
        return VOID

    d(
        "set-timer",
        set_timer,
        3,
        3,
        "(set-timer name seconds proc) — call (proc) once after seconds; re-arming a name "
        "replaces it",
    )

    def cancel_timer(name):
        return rt.cancel_timer(_name("cancel-timer", name, 1))

    d("cancel-timer", cancel_timer, 1, 1, "(cancel-timer name) — #t if a timer was cancelled")
