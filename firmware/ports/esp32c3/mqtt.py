"""The agent's MQTT session on the board: ``umqtt.simple`` (frozen into MicroPython's ESP32
firmware) over mutual TLS with the thing's certificate.

The link only does what it is told and says what went wrong: when to connect again, and
what happens to publishes that did not go out, is the agent's decision
(:mod:`firmware.agent.session`), made from the events the main loop builds from the
:class:`LinkError` raised here.

TLS: MicroPython's ``ssl.SSLContext`` starts with ``verify_mode = CERT_NONE`` (unlike
CPython's), which would accept any broker; verification is switched on explicitly.  The
certificates are passed as bytes, as :func:`firmware.agent.config.load_credentials` reads
them (stored files carry a checksum header, so the file paths cannot be handed to the
``ssl`` module).  The clock must be set (NTP) before connecting, or mbedTLS rejects the
certificates as not yet valid.

umqtt.simple is synchronous: ``publish`` at QoS 1 waits for the PUBACK, ``subscribe`` for
the SUBACK, and messages that arrive meanwhile go to the callback, which only queues them
for :meth:`UmqttLink.take`.  It has no unsubscribe; :meth:`UmqttLink.unsubscribe` writes
the packet itself, the same way umqtt writes SUBSCRIBE.
"""

import ssl
import struct
import time

from umqtt.simple import MQTTClient, MQTTException

KEEPALIVE = 60  # seconds; the broker drops a client silent for 1.5 x this
TIMEOUT = 15  # seconds for the TCP connect, the TLS handshake and the CONNACK
MAX_MESSAGES_PER_POLL = 16  # the agent gets a turn between bursts


class LinkError(Exception):
    """The session is gone (the socket was closed); the text says why."""


def tls_context(ca, cert, key):
    """A client context that verifies the broker against ``ca`` and presents ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca)
    context.load_cert_chain(cert, key)
    return context


class UmqttLink:
    """One persistent MQTT session (client id = thing name, ``clean_session=False``)."""

    def __init__(self, thing_name, host, port, ca, cert, key, keepalive=KEEPALIVE, timeout=TIMEOUT):
        self.context = tls_context(ca, cert, key)
        self.client = MQTTClient(thing_name, host, port=port, keepalive=keepalive, ssl=self.context)
        self.client.set_callback(self._received)
        self.keepalive = keepalive
        self.timeout = timeout
        self.connected = False
        self._last_ping = 0
        self._inbox = []

    def _received(self, topic, payload):
        self._inbox.append((topic.decode(), bytes(payload)))

    # --- what the main loop calls -------------------------------------------------------

    def connect(self):
        """Open the session; returns the broker's session-present flag."""
        self._close()
        try:
            present = self.client.connect(clean_session=False, timeout=self.timeout)
        except Exception as e:  # OSError, MQTTException (refused), a truncated CONNACK
            self._close()
            raise LinkError("connect failed: %s" % _why(e))
        self.connected = True
        self._last_ping = time.ticks_ms()
        return bool(present)

    def publish(self, topic, payload, qos=1, retain=False):
        self._check()
        try:
            self.client.publish(topic.encode(), payload, retain, qos)
        except Exception as e:
            raise self._lost("publish failed: %s" % _why(e))

    def subscribe(self, filters):
        """Subscribe to [(filter, qos)]; returns the filters the broker refused."""
        self._check()
        refused = []
        for topic, qos in filters:
            try:
                self.client.subscribe(topic.encode(), qos)
            except MQTTException:
                refused.append(topic)  # SUBACK 0x80: the session itself is fine
            except Exception as e:
                raise self._lost("subscribe failed: %s" % _why(e))
        return refused

    def unsubscribe(self, filters):
        self._check()
        client = self.client
        for topic in filters:
            t = topic.encode()
            client.pid = (client.pid % 65535) + 1
            body = struct.pack("!HH", client.pid, len(t)) + t
            try:
                client.sock.write(bytes([0xA2]) + _remaining_length(len(body)) + body)
                while client.wait_msg() != 0xB0:  # PUBLISHes meanwhile go to the callback
                    pass
                client.sock.read(3)  # UNSUBACK's remaining length and packet id
            except Exception as e:
                raise self._lost("unsubscribe failed: %s" % _why(e))

    def poll(self):
        """Read what has arrived (into :meth:`take`) and ping when due.

        Messages are acknowledged to the broker as they are read, so after a LinkError the
        ones already read must still be taken and handed to the agent."""
        self._check()
        try:
            for _ in range(MAX_MESSAGES_PER_POLL):
                if self.client.check_msg() is None:
                    break
            if time.ticks_diff(time.ticks_ms(), self._last_ping) > self.keepalive * 500:
                self.client.ping()
                self._last_ping = time.ticks_ms()
        except Exception as e:
            raise self._lost("connection lost: %s" % _why(e))

    def take(self):
        """The messages queued by the callback, oldest first."""
        messages = self._inbox
        self._inbox = []
        return messages

    # --- internals -----------------------------------------------------------------------

    def _check(self):
        if not self.connected:
            raise LinkError("not connected")

    def _lost(self, reason):
        self._close()
        return LinkError(reason)

    def _close(self):
        self.connected = False
        sock = self.client.sock
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def _remaining_length(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _why(e):
    text = str(e)
    return "%s %s" % (type(e).__name__, text) if text else type(e).__name__
