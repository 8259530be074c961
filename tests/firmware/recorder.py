"""A recording stand-in for the device primitives the seed's programs use.

It lets the language tests run the seed programs without a board: every call is appended
to ``events`` as a tuple, sensors return what the test set, and timers are kept so the
test can fire them.  (The real device API lives with the device agent.)
"""

from firmware.steel.values import VOID, HashMap, Pair, intern

_TEMPERATURE = intern("temperature")
_HUMIDITY = intern("humidity")


class Recorder:
    def __init__(self, interp, temperature=22.5, humidity=40.0, now=1700000000):
        self.interp = interp
        self.events = []
        self.timers = {}
        self.temperature = temperature
        self.humidity = humidity
        self.now = now
        d = interp.define_primitive
        d("log", self.log, 2)
        d("led-on", self.led_on, 0)
        d("led-off", self.led_off, 0)
        d("read-sensors", self.read_sensors, 0)
        d("get", self.get, 2)
        d("mqtt-publish", self.mqtt_publish, 2)
        d("shadow-update", self.shadow_update, 2)
        d("set-timer", self.set_timer, 3)
        d("current-time", self.current_time, 0)
        interp.sleep = self.sleep

    def log(self, level, message):
        self.events.append(("log", level, message))
        return VOID

    def led_on(self):
        self.events.append(("led", True))
        return VOID

    def led_off(self):
        self.events.append(("led", False))
        return VOID

    def sleep(self, seconds):
        self.events.append(("sleep", seconds))
        self.now += seconds

    def read_sensors(self):
        return HashMap().insert(_TEMPERATURE, self.temperature).insert(_HUMIDITY, self.humidity)

    def get(self, table, key):
        if type(table) is HashMap:
            return table.get(key, False)
        x = table
        while type(x) is Pair:
            if type(x.car) is Pair and x.car.car is key:
                return x.car.cdr
            x = x.cdr
        return False

    def mqtt_publish(self, topic, payload):
        self.events.append(("publish", topic, payload))
        return VOID

    def shadow_update(self, key, value):
        self.events.append(("shadow", key, value))
        return VOID

    def set_timer(self, name, seconds, proc):
        self.timers[name] = (seconds, proc)
        self.events.append(("timer", name, seconds))
        return VOID

    def current_time(self):
        return self.now

    def fire(self, name):
        """Run the timer called ``name`` as the device would when it is due."""
        seconds, proc = self.timers.pop(name)
        self.now += seconds
        return self.interp.call(proc)

    def kinds(self):
        return [e[0] for e in self.events]
