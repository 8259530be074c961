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
from .wire import dumps

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
