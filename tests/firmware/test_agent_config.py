"""Configuration from /config.json: defaults, validation errors naming the field, storage."""

import json

from firmware.agent.config import (
    ConfigError,
    Limits,
    load_config,
    load_credentials,
    parse_config,
    save_config,
    save_credentials,
)
from firmware.agent.storage import Storage
from tests.firmware.agent_fakes import FakeFS, PowerCut, Rig
from tests.firmware.support import raises

MINIMAL = {"thing_name": "dev-1", "endpoint": {"host": "iot.example"}}


def with_(**changes):
    cfg = json.loads(json.dumps(MINIMAL))
    for k in changes:
        cfg[k] = changes[k]
    return cfg


def test_minimal_config_gets_the_documented_defaults():
    cfg = parse_config(MINIMAL)
    assert cfg.thing_name == "dev-1" and cfg.host == "iot.example" and cfg.port == 8883
    assert cfg.metrics_interval == 60 and cfg.data_dir == "/data"
    assert cfg.ca_path == "/certs/ca.pem"
    lim = cfg.limits
    assert lim.memory == 131072 and lim.steps == 1000000 and lim.slice_steps == 200
    assert lim.source_bytes == 65536 and lim.log_burst == 20 and lim.log_rate == 5
    assert lim.offline_queue == 100
    assert cfg.backoff_initial == 1.0 and cfg.backoff_cap == 60.0
    assert cfg.warnings == []
    assert Limits().as_dict()["memory"] == 131072


def test_full_config():
    cfg = parse_config(
        with_(
            endpoint={"host": "h", "port": 1883},
            certificates={"ca": "/c/ca", "cert": "/c/crt", "key": "/c/key"},
            metrics_interval=5.5,
            data_dir="/slot-a/data",
            limits={"memory": 65536, "steps": 5000, "log_rate": 0.5},
            backoff={"initial": 0.5, "cap": 10},
        )
    )
    assert (cfg.port, cfg.key_path, cfg.data_dir) == (1883, "/c/key", "/slot-a/data")
    assert cfg.limits.memory == 65536 and cfg.limits.steps == 5000 and cfg.limits.log_rate == 0.5
    assert cfg.limits.tasks == 32
    assert (cfg.backoff_initial, cfg.backoff_cap) == (0.5, 10)


def test_errors_name_the_file_and_the_field():
    cases = [
        ([], "expected a JSON object"),
        ({"endpoint": {"host": "h"}}, "thing_name: missing"),
        (with_(thing_name=""), "thing_name: expected 1-128"),
        (with_(thing_name="a b"), "contains"),
        (with_(thing_name="broadcast"), "reserved"),
        (with_(endpoint="h"), "endpoint: expected an object"),
        (with_(endpoint={}), "endpoint.host: expected a non-empty string"),
        (with_(endpoint={"host": "h", "port": 0}), "endpoint.port"),
        (with_(endpoint={"host": "h", "port": "1"}), "endpoint.port"),
        (with_(certificates={"ca": "relative.pem"}), "certificates.ca: expected an absolute path"),
        (with_(metrics_interval=0), "metrics_interval"),
        (with_(data_dir=""), "data_dir"),
        (with_(limits={"memory": "lots"}), "limits.memory: expected an integer"),
        (with_(limits={"memory": 100}), "limits.memory"),
        (with_(limits={"steps": 1.5}), "limits.steps: expected an integer"),
        (with_(limits={"log_rate": True}), "limits.log_rate: expected a number"),
        (with_(limits=[]), "limits: expected an object"),
        (with_(backoff={"initial": 5, "cap": 1}), "backoff.cap must be at least"),
        (with_(backoff={"initial": -1}), "backoff.initial"),
        (with_(thing_name=b"dev"), "thing_name: expected 1-128 characters, got "),
    ]
    for obj, word in cases:
        with raises(ConfigError, word) as r:
            parse_config(obj, "/config.json")
        assert str(r.value).startswith("/config.json: "), str(r.value)


def test_unknown_keys_are_warnings_not_errors():
    cfg = parse_config(with_(colour="blue", limits={"memroy": 1}, endpoint={"host": "h", "x": 1}))
    assert len(cfg.warnings) == 3
    assert 'unknown key "memroy"' in " ".join(cfg.warnings)
    rig = Rig(cfg=with_(colour="blue"))
    assert any("colour" in line for line in rig.board.lines)


def test_load_from_a_plain_json_file_or_a_stored_one():
    fs = FakeFS()
    storage = Storage(fs)
    fs.files["/config.json"] = json.dumps(MINIMAL).encode()
    assert load_config(storage).thing_name == "dev-1"
    save_config(storage, with_(thing_name="dev-2"))
    assert fs.files["/config.json"].startswith(b"SHS1 ")
    assert load_config(storage).thing_name == "dev-2"


def test_load_errors():
    fs = FakeFS()
    storage = Storage(fs)
    with raises(ConfigError, "/config.json: missing"):
        load_config(storage)
    fs.files["/config.json"] = b"{nope"
    with raises(ConfigError, "not valid JSON"):
        load_config(storage)
    save_config(storage, MINIMAL)
    fs.files["/config.json"] = fs.files["/config.json"][:-3] + b"XX}"
    with raises(ConfigError, "damaged"):
        load_config(storage)
    with raises(ConfigError, "thing_name"):
        save_config(storage, {"endpoint": {"host": "h"}})


def test_agent_accepts_a_dict_and_validates_it():
    with raises(ConfigError, "thing_name"):
        Rig(cfg={"endpoint": {"host": "h"}})


def test_credentials_round_trip_and_errors():
    fs = FakeFS()
    storage = Storage(fs)
    cfg = parse_config(MINIMAL)
    with raises(ConfigError, "/certs/ca.pem: the CA file is missing"):
        load_credentials(storage, cfg)
    fs.files["/certs/ca.pem"] = b"CA"  # written by a flashing tool: plain
    cfg2 = save_credentials(storage, MINIMAL, b"CA2", "CERT", b"KEY")
    assert load_credentials(storage, cfg2) == (b"CA2", b"CERT", b"KEY")
    assert load_config(storage).cert_path == cfg2.cert_path
    assert "/certs/ca.pem" not in fs.files  # the old files are removed after the switch
    fs.files[cfg2.key_path] = fs.files[cfg2.key_path][:-1] + b"!"
    with raises(ConfigError, "key file is damaged"):
        load_credentials(storage, cfg2)


def test_certificate_rotation_is_power_safe_at_every_write():
    base = FakeFS()
    storage = Storage(base)
    old = save_credentials(storage, MINIMAL, b"CA1", b"CERT1", b"KEY1")
    old_obj = json.loads(Storage(base).read("/config.json"))
    n = 1
    while True:
        fs = base.clone()
        fs.arm(n)
        try:
            save_credentials(Storage(fs), old_obj, b"CA2", b"CERT2", b"KEY2")
            break
        except PowerCut:
            pass
        fs.cut_at = None
        st = Storage(fs)
        cfg = load_config(st)
        creds = load_credentials(st, cfg)
        assert creds in ((b"CA1", b"CERT1", b"KEY1"), (b"CA2", b"CERT2", b"KEY2")), (n, creds)
        n += 1
    assert n > 6
    assert old.cert_path != load_config(Storage(fs)).cert_path
