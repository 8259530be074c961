"""Compact JSON for what the device sends (every byte is airtime and broker quota)."""

import json

_SEPARATORS = (",", ":")


def dumps(obj):
    return json.dumps(obj, separators=_SEPARATORS)
