"""firmware.agent.ports.Board and I2CBus on the real board (pins from board.md).

=========  ======  =============================================================
what       GPIO    how
=========  ======  =============================================================
LED (D2)   7       ``machine.Pin(7, Pin.OUT)``, active high
WS2812     2       ``neopixel.NeoPixel(Pin(2), 1)`` (GPIO2 is also a strapping pin)
BOOT       9       ``Pin(9, Pin.IN, Pin.PULL_UP)``: pressed = 0; an IRQ latches
                   presses shorter than one pass of the main loop
I2C 0      8, 10   SCL = 8, SDA = 10 (MicroPython's default pins for I2C(0) on the
                   C3 are SCL 9 / SDA 8: wrong here, and GPIO9 is the BOOT button)
=========  ======  =============================================================
"""

import gc
import time

import machine
import neopixel

from firmware.agent.ports import Board, I2CBus

LED_PIN = 7
PIXEL_PIN = 2
BUTTON_PIN = 9
SCL_PIN = 8
SDA_PIN = 10
I2C_FREQ = 400000
DEBOUNCE_MS = 50  # edges this soon after a reported change are contact bounce

# MicroPython on the ESP32 counts time from 2000-01-01; the agent wants Unix time.
EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0


class MachineI2C(I2CBus):
    """The port's I2C interface on ``machine.I2C``: a NACK raises ``OSError`` there too."""

    def __init__(self, i2c):
        self._i2c = i2c

    def writeto(self, addr, buf):
        return self._i2c.writeto(addr, buf)

    def readfrom(self, addr, nbytes):
        return self._i2c.readfrom(addr, nbytes)

    def writeto_then_readfrom(self, addr, buf, nbytes):
        if len(buf) == 1:
            # A register read: one transaction with a repeated start.
            return self._i2c.readfrom_mem(addr, buf[0], nbytes)
        self._i2c.writeto(addr, buf, False)  # no STOP: the read starts with a repeated start
        return self._i2c.readfrom(addr, nbytes)


class Esp32c3Board(Board):
    def __init__(self):
        Pin = machine.Pin
        self._led = Pin(LED_PIN, Pin.OUT, value=0)
        self._pixel = neopixel.NeoPixel(Pin(PIXEL_PIN), 1)
        self._button = Pin(BUTTON_PIN, Pin.IN, Pin.PULL_UP)
        self._pressed = False  # as last reported by button_changes()
        self._latched = False  # a falling edge since then (set from the IRQ)
        self._changed_at = time.ticks_ms()
        self._button.irq(trigger=Pin.IRQ_FALLING, handler=self._edge)
        self.i2c = MachineI2C(machine.I2C(0, scl=Pin(SCL_PIN), sda=Pin(SDA_PIN), freq=I2C_FREQ))

    # --- the port interface ---------------------------------------------------------------

    def set_led(self, on):
        self._led.value(1 if on else 0)

    def set_pixel(self, r, g, b):
        self._pixel[0] = (r, g, b)
        self._pixel.write()

    def button_pressed(self):
        return self._button.value() == 0

    def delay_ms(self, ms):
        time.sleep_ms(ms)

    def wall_time(self):
        # An int: the C3's floats are 32-bit and cannot hold epoch seconds exactly.
        return time.time() + EPOCH_OFFSET

    def heap(self):
        free = gc.mem_free()
        return (free, free + gc.mem_alloc())

    def console(self, text):
        print(text)

    # --- for the main loop ----------------------------------------------------------------

    def _edge(self, pin):
        self._latched = True  # no allocation: safe in an interrupt handler

    def button_changes(self):
        """The BOOT button's changes since the last call, as a list of ``pressed`` values.

        Polled from the main loop; the IRQ only latches that a press began, so a press
        that started and ended between two polls still arrives (as ``[True, False]``).
        """
        latched = self._latched
        self._latched = False
        pressed = self.button_pressed()
        now = time.ticks_ms()
        if pressed != self._pressed:
            self._pressed = pressed
            self._changed_at = now
            return [pressed]
        if latched and time.ticks_diff(now, self._changed_at) >= DEBOUNCE_MS:
            # Back where it was with a press in between: a short press ([True, False]),
            # or a release and a new press while the loop was busy ([False, True]).
            self._changed_at = now
            return [not pressed, pressed]
        return []
