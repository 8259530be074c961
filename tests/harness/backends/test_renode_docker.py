"""The renode backend's Docker path: the real Docker SDK against a stand-in of the Docker
Engine API on a Unix socket, whose container's Renode is the monitor stand-in.

No Docker engine and no Renode run here; what the engine does with the requests (a real
container of antmicro/renode) was not run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.renode import PLATFORM
from emulator.renode.docker_standin import DockerStandin, Engine
from harness.backends.base import BackendError, BackendSession, BoardSpec
from harness.backends.renode import RenodeBackend
from harness.rig import Rig
from harness.rigcheck import check_board

IMAGE = "antmicro/renode:latest"
NO_RENODE = ["steelhil-test-no-renode"]


class NoCore:
    @property
    def endpoint(self) -> object:
        raise AssertionError("not used")

    def provision(self, thing_name: str) -> object:
        raise AssertionError("not used")


@pytest.fixture
def engine_at(tmp_path: Path) -> Iterator[tuple[DockerStandin, Engine]]:
    # A Unix socket path must be short (108 bytes): pytest's tmp_path may be too long.
    with tempfile.TemporaryDirectory(prefix="dk-") as short:
        standin = DockerStandin(Path(short) / "docker.sock", tmp_path / "engine", images={IMAGE})
        with standin as engine:
            yield standin, engine


def spec(url: str, **options: object) -> BoardSpec:
    return BoardSpec(
        "renode-d", "renode", options={"renode": NO_RENODE, "docker_url": url, **options}
    )


def test_without_a_renode_binary_renode_runs_in_its_image(
    engine_at: tuple[DockerStandin, Engine], tmp_path: Path
) -> None:
    standin, engine = engine_at
    session = BackendSession(NoCore(), tmp_path / "work")  # type: ignore[arg-type]
    device = RenodeBackend().open(spec(standin.url), session)
    try:
        monitor_port = device.facts["monitor_port"]
        uart_port = int(device.facts["uart"].rsplit(":", 1)[1])
        assert device.facts["renode"] == f"docker: {IMAGE} via {standin.url}"
        # the platform file is named where the container sees it
        assert device.monitor.history[1] == (
            "machine LoadPlatformDescription @/steelhil/platform/esp32c3.repl"
        )
        device.reset()
        device.capture.expect("stand-in firmware: boot 2", timeout=15)
        (create,) = [r for r in engine.requests if r.path == "/containers/create"]
        body = create.body
        assert body["Image"] == IMAGE
        assert body["Cmd"] == ["renode", "--disable-xwt", "--port", str(monitor_port)]
        assert body["Labels"] == {"steelhil": "renode"}
        host = body["HostConfig"]
        assert host["PortBindings"] == {
            f"{p}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(p)}]
            for p in (monitor_port, uart_port)
        }
        assert f"{PLATFORM.parent.resolve()}:/steelhil/platform:ro" in host["Binds"]
        (container,) = engine.containers.values()
        assert container.status == "running"
    finally:
        device.close()
    assert container.removed and container.status == "exited"
    calls = [(r.method, r.path.rsplit("/", 1)[-1]) for r in engine.requests]
    assert ("POST", "stop") in calls and ("DELETE", container.id) in calls
    log = (tmp_path / "work" / "renode" / "renode-d" / "renode.log").read_text()
    assert "Monitor available in telnet mode on port" in log  # the container's logs, kept


def test_an_image_that_is_not_local_is_pulled(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="dk-") as short:
        standin = DockerStandin(Path(short) / "d.sock", tmp_path / "e", registry={IMAGE})
        with standin as engine:
            session = BackendSession(NoCore(), tmp_path / "work")  # type: ignore[arg-type]
            RenodeBackend().open(spec(standin.url), session).close()
            pulls = [r for r in engine.requests if r.path == "/images/create"]
            assert pulls and pulls[0].query["fromImage"] == ["antmicro/renode"]
            assert IMAGE in engine.images


def test_an_image_that_cannot_be_had_is_a_clear_error(
    engine_at: tuple[DockerStandin, Engine], tmp_path: Path
) -> None:
    standin, _engine = engine_at
    session = BackendSession(NoCore(), tmp_path / "work")  # type: ignore[arg-type]
    with pytest.raises(BackendError) as caught:
        RenodeBackend().open(spec(standin.url, docker_image="antmicro/renode:0.0-none"), session)
    said = str(caught.value)
    assert "antmicro/renode:0.0-none is not available" in said
    assert "docker pull" in said
    assert "Traceback" not in said


def test_neither_renode_nor_an_engine_says_both(tmp_path: Path) -> None:
    session = BackendSession(NoCore(), tmp_path)  # type: ignore[arg-type]
    url = f"unix://{tmp_path}/no-engine.sock"
    with pytest.raises(BackendError) as caught:
        RenodeBackend().open(spec(url), session)
    said = str(caught.value)
    assert "Renode is not installed ('steelhil-test-no-renode' is not on PATH)" in said
    assert f"no Docker engine answers at {url}" in said
    with pytest.raises(BackendError, match="`docker: never`"):
        RenodeBackend().open(spec(url, docker="never"), session)


def test_rig_check_says_how_renode_would_start(
    engine_at: tuple[DockerStandin, Engine], tmp_path: Path
) -> None:
    standin, _ = engine_at
    rig = Rig(tmp_path / "rig.yaml", [], tmp_path / "locks")
    found = check_board(spec(standin.url), rig)
    assert (found.port, found.port_ok) == (f"docker: {IMAGE} via {standin.url}", True)
    missing = check_board(spec(f"unix://{tmp_path}/none.sock"), rig)
    assert not missing.port_ok and "no Docker engine answers" in missing.port
