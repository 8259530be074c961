"""Device-shadow messages (AWS classic shadow; docs/protocol.md, "Shadow").

Why this needs care: ``(shadow-update key value)`` takes a Steel value, and the seed
passes ``(json-encode sensors)``, a *string*.  Stored as a string the shadow would hold
``"{\\"temperature\\":...}"``; the protocol says a string that is a JSON object or array
is embedded as JSON.  Deltas come back as hash maps with symbol keys, decoded by the
program's own interpreter (its memory meter pays for them) and in document order, so a
handler sees the same map on CPython and MicroPython.
"""

import json

from ..steel.values import HashMap, intern
from .wire import dumps, nesting_exceeds

_STATE = intern("state")
_DELTA = intern("delta")


def value_json(value, encode):
    """The JSON text for a Steel value per the protocol's conversion rules.

    ``encode`` is the program's ``json-encode`` (it raises SteelError for values with
    no JSON form, which the program then sees).
    """
    if type(value) is str:
        s = value.strip()
        if s and (s[0] == "{" or s[0] == "["):
            try:
                parsed = json.loads(s)
            except ValueError:
                parsed = None
            if isinstance(parsed, (dict, list)):
                return s
    return encode(value)


def reported(key, value_text):
    """``{"state":{"reported":{key: value}}}`` with ``value_text`` already JSON."""
    return '{"state":{"reported":{%s:%s}}}' % (dumps(key), value_text)


def agent_report(firmware, program_id, state, uptime):
    return dumps(
        {
            "state": {
                "reported": {
                    "agent": {
                        "firmware": firmware,
                        "program": {"id": program_id, "state": state},
                        "uptime": uptime,
                    }
                }
            }
        }
    )


def delta_from(payload_text, decode, from_get):
    """The delta of an ``update/delta`` (``state``) or ``get/accepted`` (``state.delta``)
    message as a Steel hash map, or None if there is none (or it is empty).

    ``decode`` is the program's ``json-decode``; it raises SteelError on bad JSON.
    """
    doc = decode(payload_text)
    if type(doc) is not HashMap:
        return None
    state = doc.get(_STATE)
    if type(state) is not HashMap:
        return None
    if from_get:
        state = state.get(_DELTA)
        if type(state) is not HashMap:
            return None
    if len(state) == 0:
        return None
    return state


# --- the shadow as the device last heard it ---------------------------------------------

#: Deepest shadow document the agent parses (AWS allows 8 levels in a shadow's state).
MAX_DEPTH = 16


class ShadowState:
    """The device shadow's desired and reported state as the device last heard it.

    Why: ``on-shadow-delta`` only fires while desired and reported differ.  After a reset a
    program that had applied a desired value and reported it gets no delta at all (the two
    agree), so without a way to read the desired state it falls back to its default.  The
    agent already asks for the whole shadow after every connect (``get/accepted``); this
    keeps that answer, brings it up to date with each delta and with what the device itself
    reports, and lets ``(shadow-get)``/``(shadow-desired key)`` read it.

    Until the first answer since boot (``known`` is false) a reading task waits for it.
    While the agent's request for the shadow is out on a connection, the wait has no
    deadline: the answer always comes (accepted, or rejected when there is no shadow), and
    a deadline there would race the broker's round trip, which on virtual time costs no
    time at all.  While the device is offline, the read gives up after its timeout.
    """

    def __init__(self):
        self.known = False
        self.desired = {}
        self.reported = {}
        self.version = None
        self.asked = False  # a get is out on the current connection, not answered yet
        self.waiters = []  # (runtime, task, deadline): reads waiting for the first document

    def accepted(self, payload):
        """A ``get/accepted``: the whole document.  True when it was usable."""
        doc = _parse(payload)
        if not isinstance(doc, dict):
            return False
        state = doc.get("state")
        if not isinstance(state, dict):
            state = {}
        desired = state.get("desired")
        reported = state.get("reported")
        self.desired = desired if isinstance(desired, dict) else {}
        self.reported = reported if isinstance(reported, dict) else {}
        version = doc.get("version")
        self.version = version if type(version) is int else None
        self.known = True
        return True

    def rejected(self, payload):
        """A ``get/rejected``: 404 means the shadow does not exist yet, which is knowing
        that it is empty; other rejections teach nothing."""
        doc = _parse(payload)
        if isinstance(doc, dict) and doc.get("code") == 404:
            self.desired = {}
            self.reported = {}
            self.version = None
            self.known = True
            return True
        return False

    def delta(self, payload):
        """An ``update/delta``: its state is desired values that changed."""
        doc = _parse(payload)
        if isinstance(doc, dict) and isinstance(doc.get("state"), dict):
            merge(self.desired, doc["state"])

    def report(self, key, value_text):
        """This device reported ``{key: value}`` (``value_text`` is JSON)."""
        try:
            value = json.loads(value_text)
        except ValueError:
            return
        merge(self.reported, {key: value})

    def wait(self, runtime, task, timeout):
        """A read waits: returns when it is due (None: when the answer comes)."""
        deadline = runtime.now + timeout
        self.waiters.append((runtime, task, deadline))
        return None if self.asked else deadline

    def done_waiting(self, runtime, task):
        keep = []
        for w in self.waiters:
            if w[0] is not runtime or w[1] is not task:
                keep.append(w)
        self.waiters = keep

    def ask(self):
        """The agent asked for the shadow on this connection: waiting reads wait for the
        answer, however long the round trip takes."""
        self.asked = True
        self._due(lambda runtime, deadline: None)

    def lost(self):
        """The connection dropped before the answer: each read's own deadline applies
        again (a read whose deadline passed meanwhile gives up at once)."""
        if self.asked:
            self.asked = False
            self._due(lambda runtime, deadline: deadline)

    def wake(self):
        """The answer arrived: every waiting read is due now."""
        self.asked = False
        self._due(lambda runtime, deadline: runtime.now)
        self.waiters = []

    def _due(self, when):
        for runtime, task, deadline in self.waiters:
            for job in runtime.waiting:
                if job.task is task:
                    job.wake = when(runtime, deadline)


def merge(target, changes):
    """``changes`` merged into ``target`` as AWS merges a shadow update: objects merge key
    by key, ``null`` deletes, anything else replaces."""
    for key in changes:
        value = changes[key]
        if value is None:
            if key in target:
                del target[key]
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = _copy(value)


def _copy(value):
    if isinstance(value, dict):
        out = {}
        for k in value:
            out[k] = _copy(value[k])
        return out
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def sorted_json(value):
    """JSON text with object keys sorted: the same text on CPython and MicroPython (whose
    dicts keep no order), so a program sees its maps in the same order on both."""
    if isinstance(value, dict):
        keys = sorted(value)
        return "{" + ",".join(dumps(k) + ":" + sorted_json(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted_json(v) for v in value) + "]"
    return dumps(value)


def _parse(payload):
    if type(payload) is str:
        payload = payload.encode()
    if nesting_exceeds(payload, MAX_DEPTH):
        return None
    try:
        return json.loads(payload.decode())
    except (ValueError, UnicodeError):
        return None
