"""The device's configuration, read from ``/config.json`` on its filesystem.

Why a file and not constants: the same firmware runs on every board and every virtual
board, so identity (thing name, certificates), where to connect and the resource limits
differ per device and per test.  Keeping every path here (data directory, certificate
paths, the config path itself) is also what lets a later OTA install run the app from a
slot directory.

Example (everything but ``thing_name`` and ``endpoint.host`` has a default)::

    {"thing_name": "dev-1",
     "endpoint": {"host": "abc-ats.iot.eu-west-1.amazonaws.com", "port": 8883},
     "certificates": {"ca": "/certs/ca.pem", "cert": "/certs/device.pem.crt",
                      "key": "/certs/private.pem.key"},
     "metrics_interval": 60,
     "data_dir": "/data",
     "limits": {"memory": 131072, "steps": 1000000, ...},
     "backoff": {"initial": 1, "cap": 60}}

Validation fails with :class:`ConfigError` naming the file and the field
(``/config.json: limits.memory: expected an integer >= 8192, got "lots"``).  Unknown keys
do not fail: they are listed in ``Config.warnings`` (a newer firmware's config must not
brick an older one after a rollback), and the agent logs them.
"""

import json

CONFIG_PATH = "/config.json"

# name: (default, minimum, maximum, integer?) -- documented in docs/steel-api.md
LIMITS = {
    "memory": (128 * 1024, 8 * 1024, 64 * 1024 * 1024, True),  # program heap cap, bytes
    "steps": (1000000, 1000, 1 << 40, True),  # steps a task may run without suspending
    "slice_steps": (200, 100, 1000000, True),  # steps per task per scheduling round
    "source_bytes": (64 * 1024, 1024, 1024 * 1024, True),  # largest program text
    "log_burst": (20, 1, 10000, True),  # log token bucket size
    "log_rate": (5, 0.01, 10000, False),  # log tokens per second
    "publish_burst": (50, 1, 10000, True),  # program publish token bucket size
    "publish_rate": (10, 0.01, 10000, False),  # program publishes per second
    "offline_queue": (100, 1, 100000, True),  # publishes kept while offline
    "timers": (32, 1, 10000, True),  # timers one program may arm
    "subscriptions": (16, 1, 1000, True),  # topic filters one program may subscribe
    "tasks": (32, 1, 10000, True),  # live tasks (main, timers, handlers) per program
    "stored_programs": (4, 1, 100, True),  # programs kept on flash
    "fetch_timeout": (60, 1, 3600, False),  # seconds to wait for a Fetched event
    "connect_timeout": (30, 1, 3600, False),  # seconds to wait for Connected/Disconnected
}

BACKOFF = {"initial": (1.0, 0.01, 3600, False), "cap": (60.0, 0.01, 86400, False)}

_TOP = (
    "thing_name",
    "endpoint",
    "certificates",
    "metrics_interval",
    "data_dir",
    "limits",
    "backoff",
    "ota",
)
#: ``ota`` section: the signing keys an update must be signed with, and its self-test.
OTA = {"self_test_timeout": (120, 10, 3600, False)}
_THING_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-"


class ConfigError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _show(v):
    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)


class Limits:
    """Resource limits; attributes named as in :data:`LIMITS`."""

    def __init__(self, values=None):
        for name in LIMITS:
            setattr(self, name, LIMITS[name][0])
        if values:
            for name in values:
                setattr(self, name, values[name])

    def as_dict(self):
        return dict((name, getattr(self, name)) for name in LIMITS)


class Config:
    """A validated configuration.  Build it with :func:`parse_config` or
    :func:`load_config`; ``Config(thing_name, host)`` gives the defaults for the rest."""

    def __init__(self, thing_name, host="localhost", port=8883, limits=None):
        self.thing_name = thing_name
        self.host = host
        self.port = port
        self.ca_path = "/certs/ca.pem"
        self.cert_path = "/certs/device.pem.crt"
        self.key_path = "/certs/private.pem.key"
        self.metrics_interval = 60.0
        self.data_dir = "/data"
        self.limits = limits if limits is not None else Limits()
        self.backoff_initial = BACKOFF["initial"][0]
        self.backoff_cap = BACKOFF["cap"][0]
        self.ota_trust = []  # paths of PEM public keys; none: the device takes no update
        self.ota_self_test_timeout = OTA["self_test_timeout"][0]
        self.warnings = []
        self.source = "<defaults>"


def check_thing_name(name, where="thing_name"):
    if type(name) is not str or not 1 <= len(name) <= 128:
        raise ConfigError("%s: expected 1-128 characters, got %s" % (where, _show(name)))
    for c in name:
        if c not in _THING_CHARS:
            raise ConfigError(
                "%s: %s contains %s; a thing name uses only a-z A-Z 0-9 : _ -"
                % (where, _show(name), _show(c))
            )
    if name == "broadcast":
        raise ConfigError("%s: 'broadcast' is reserved for messages to every device" % where)
    return name


def _number(source, field, v, lo, hi, integer):
    ok = (type(v) is int) if integer else (type(v) is int or type(v) is float)
    if not ok or v < lo or v > hi:
        raise ConfigError(
            "%s: %s: expected %s between %s and %s, got %s"
            % (source, field, "an integer" if integer else "a number", lo, hi, _show(v))
        )
    return v


def _string(source, field, v, path=False):
    if type(v) is not str or not v:
        raise ConfigError("%s: %s: expected a non-empty string, got %s" % (source, field, _show(v)))
    if path and not v.startswith("/"):
        raise ConfigError("%s: %s: expected an absolute path, got %s" % (source, field, _show(v)))
    return v


def _object(source, field, v):
    if not isinstance(v, dict):
        raise ConfigError("%s: %s: expected an object, got %s" % (source, field, _show(v)))
    return v


def _unknown(cfg, field, obj, known):
    for k in obj:
        if k not in known:
            cfg.warnings.append("%s: unknown key %s ignored" % (field or "(top level)", _show(k)))


def parse_config(obj, source=CONFIG_PATH):
    """A :class:`Config` from decoded JSON; raises ConfigError naming the bad field."""
    if not isinstance(obj, dict):
        raise ConfigError("%s: expected a JSON object at the top level" % source)
    if "thing_name" not in obj:
        raise ConfigError("%s: thing_name: missing (the device's AWS IoT thing name)" % source)
    try:
        name = check_thing_name(obj["thing_name"])
    except ConfigError as e:
        raise ConfigError("%s: %s" % (source, e.message))
    cfg = Config(name)
    cfg.source = source
    _unknown(cfg, "", obj, _TOP)

    ep = _object(source, "endpoint", obj.get("endpoint"))
    _unknown(cfg, "endpoint", ep, ("host", "port"))
    cfg.host = _string(source, "endpoint.host", ep.get("host"))
    cfg.port = _number(source, "endpoint.port", ep.get("port", 8883), 1, 65535, True)

    certs = _object(source, "certificates", obj.get("certificates", {}))
    _unknown(cfg, "certificates", certs, ("ca", "cert", "key"))
    cfg.ca_path = _string(source, "certificates.ca", certs.get("ca", cfg.ca_path), True)
    cfg.cert_path = _string(source, "certificates.cert", certs.get("cert", cfg.cert_path), True)
    cfg.key_path = _string(source, "certificates.key", certs.get("key", cfg.key_path), True)

    cfg.metrics_interval = _number(
        source, "metrics_interval", obj.get("metrics_interval", 60), 1, 86400, False
    )
    cfg.data_dir = _string(source, "data_dir", obj.get("data_dir", cfg.data_dir), True)

    lim = _object(source, "limits", obj.get("limits", {}))
    _unknown(cfg, "limits", lim, LIMITS)
    values = {}
    for k in lim:
        if k in LIMITS:
            _, lo, hi, integer = LIMITS[k]
            values[k] = _number(source, "limits." + k, lim[k], lo, hi, integer)
    cfg.limits = Limits(values)

    ota = _object(source, "ota", obj.get("ota", {}))
    _unknown(cfg, "ota", ota, ("trust", "self_test_timeout"))
    trust = ota.get("trust", [])
    if type(trust) is str:
        trust = [trust]
    if type(trust) is not list:
        raise ConfigError(
            "%s: ota.trust: expected a list of paths, got %s" % (source, _show(trust))
        )
    cfg.ota_trust = [_string(source, "ota.trust", path, True) for path in trust]
    _, lo, hi, integer = OTA["self_test_timeout"]
    cfg.ota_self_test_timeout = _number(
        source,
        "ota.self_test_timeout",
        ota.get("self_test_timeout", cfg.ota_self_test_timeout),
        lo,
        hi,
        integer,
    )

    bo = _object(source, "backoff", obj.get("backoff", {}))
    _unknown(cfg, "backoff", bo, BACKOFF)
    cfg.backoff_initial = _number(
        source, "backoff.initial", bo.get("initial", cfg.backoff_initial), 0.01, 3600, False
    )
    cfg.backoff_cap = _number(
        source, "backoff.cap", bo.get("cap", cfg.backoff_cap), 0.01, 86400, False
    )
    if cfg.backoff_cap < cfg.backoff_initial:
        raise ConfigError("%s: backoff.cap must be at least backoff.initial" % source)
    return cfg


def load_config(storage, path=CONFIG_PATH):
    """Read and validate the config file through a :class:`storage.Storage`.

    The file may be plain JSON (written by a flashing tool) or one the agent stored
    with a checksum; a damaged or missing file raises ConfigError.
    """
    data = storage.read(path, allow_plain=True)
    if data is None:
        if path in storage.corrupt:
            raise ConfigError("%s: damaged (checksum mismatch); re-provision the device" % path)
        raise ConfigError("%s: missing; the device needs its thing name and endpoint" % path)
    try:
        obj = json.loads(data.decode())
    except (ValueError, UnicodeError) as e:
        raise ConfigError("%s: not valid JSON (%s)" % (path, e))
    return parse_config(obj, path)


def save_config(storage, obj, path=CONFIG_PATH):
    """Validate ``obj`` and store it power-safely; returns the Config."""
    cfg = parse_config(obj, path)
    storage.write_json(path, obj)
    return cfg


def load_credentials(storage, cfg):
    """(ca, cert, key) bytes for the TLS client; raises ConfigError if one is missing.

    Ports pass these bytes to ``SSLContext.load_cert_chain`` / ``load_verify_locations``
    rather than the paths, because stored files carry a checksum header.
    """
    out = []
    for what, path in (("CA", cfg.ca_path), ("certificate", cfg.cert_path), ("key", cfg.key_path)):
        data = storage.read(path, allow_plain=True)
        if data is None:
            raise ConfigError(
                "%s: the %s file is %s"
                % (path, what, "damaged" if path in storage.corrupt else "missing")
            )
        out.append(data)
    return out[0], out[1], out[2]


def save_credentials(storage, obj, ca, cert, key, directory="/certs", path=CONFIG_PATH):
    """Install new certificates power-safely and return the new Config.

    A certificate and its key must change together, and three renames are not atomic
    together.  So the files are written under content-addressed names
    (``DIR/ca-1a2b3c4d.pem``), then the config naming them is stored (the single commit
    point), then the files the old config named are removed.  A power cut at any write
    boots with either the old set or the new set, never a mix.  ``obj`` is the current
    config as decoded JSON.
    """
    from .storage import join, sha256_hex

    names = []
    for stem, data in (("ca", ca), ("cert", cert), ("key", key)):
        if isinstance(data, str):
            data = data.encode()
        name = join(directory, "%s-%s.pem" % (stem, sha256_hex(data)[:8]))
        storage.write(name, data)
        names.append(name)
    old = parse_config(obj, path)
    new = dict(obj)
    new["certificates"] = {"ca": names[0], "cert": names[1], "key": names[2]}
    cfg = save_config(storage, new, path)
    for p in (old.ca_path, old.cert_path, old.key_path):
        if p not in names:
            storage.remove(p)
    return cfg
