"""How the ``renode`` backend starts Renode: a ``renode`` on PATH, or the ``antmicro/renode``
image through a Docker engine (the Docker SDK for Python, the ``docker`` extra).

Why both: Renode is a .NET application that few CI machines have installed, while many
have a Docker engine; Antmicro publishes Renode as an image.  The rig's ``docker`` key
chooses: ``auto`` (default) uses the binary when it is on PATH and the image otherwise,
``always`` and ``never`` force one.

In a container Renode sees the container's filesystem, so the project's platform files
(and the ``elf``) are bind-mounted read-only under ``/steelhil/`` and the monitor commands
name them there (:meth:`Launcher.path`).  The monitor and UART ports are published on
127.0.0.1 with the same numbers inside and outside, so the monitor commands name the port
the harness connects to.  The image runs as uid 1000 (``developer``): mounted files must be
readable by it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from .base import BackendError

DEFAULT_IMAGE = "antmicro/renode:latest"
DEFAULT_DOCKER_URL = "unix:///var/run/docker.sock"
MOUNT_ROOT = PurePosixPath("/steelhil")
DOCKER_MODES = ("auto", "always", "never")


class Running(Protocol):
    """A started Renode: a process or a container."""

    pid: int | None

    def alive(self) -> bool: ...

    def stop(self) -> None: ...


class Launcher(Protocol):
    def describe(self) -> str: ...

    def path(self, host_path: Path) -> str: ...

    def start(self, args: Sequence[str], ports: Sequence[int], log: Path) -> Running: ...


class _Process:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.pid: int | None = process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


class LocalRenode:
    """``renode`` (or the rig's ``renode:`` argv) as a child process."""

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)

    def describe(self) -> str:
        return f"renode: {shutil.which(self.command[0]) or self.command[0]}"

    def path(self, host_path: Path) -> str:
        return str(host_path)

    def start(self, args: Sequence[str], ports: Sequence[int], log: Path) -> Running:
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*self.command, *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return _Process(process)


class _Container:
    def __init__(self, container: Any, log: Path) -> None:
        self.container = container
        self.log = log
        self.pid: int | None = None

    def alive(self) -> bool:
        try:
            self.container.reload()
        except Exception:  # the engine lost it: it is not running
            return False
        return str(self.container.status) in ("created", "running")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.container.stop(timeout=3)
        with contextlib.suppress(Exception):
            self.log.write_bytes(bytes(self.container.logs(stdout=True, stderr=True)))
        with contextlib.suppress(Exception):
            self.container.remove(force=True)


class DockerRenode:
    """Renode in the ``antmicro/renode`` image, through the Docker Engine API."""

    def __init__(self, client: Any, url: str, image: str, mounts: Mapping[Path, str]) -> None:
        self.client = client
        self.url = url
        self.image = image
        self.mounts = dict(mounts)  # host directory -> container directory

    def describe(self) -> str:
        return f"docker: {self.image} via {self.url}"

    def path(self, host_path: Path) -> str:
        resolved = host_path.resolve()
        for host, inside in self.mounts.items():
            if resolved.is_relative_to(host):
                return str(PurePosixPath(inside) / resolved.relative_to(host).as_posix())
        raise BackendError(f"{host_path} is not under a directory mounted into the container")

    def start(self, args: Sequence[str], ports: Sequence[int], log: Path) -> Running:
        import docker

        name = f"steelhil-renode-{secrets.token_hex(4)}"
        try:
            container = self.client.containers.run(
                self.image,
                command=["renode", *args],
                detach=True,
                name=name,
                labels={"steelhil": "renode"},
                ports={f"{p}/tcp": ("127.0.0.1", p) for p in ports},
                volumes={str(h): {"bind": c, "mode": "ro"} for h, c in self.mounts.items()},
            )
        except docker.errors.ImageNotFound as exc:
            raise BackendError(
                f"the Docker image {self.image} is not available ({_said(exc)}); pull it "
                "with `docker pull antmicro/renode:latest` or set `docker_image` in the rig"
            ) from exc
        except docker.errors.DockerException as exc:
            raise BackendError(f"Docker could not start {self.image}: {_said(exc)}") from exc
        return _Container(container, log)


def _said(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).strip()


def docker_client(url: str) -> tuple[Any | None, str]:
    """A client for the engine at ``url`` that answered a ping, or None and why not."""
    try:
        import docker
    except ImportError:
        return None, "the Docker SDK is not installed (pip install 'aws-iot-steel[docker]')"
    try:
        client = docker.DockerClient(base_url=url, timeout=10)
        client.ping()
    except Exception as exc:  # any failure to reach the engine means "no engine here"
        return None, f"no Docker engine answers at {url} ({_said(exc)[:200]})"
    return client, ""


def renode_launcher(options: Mapping[str, Any]) -> LocalRenode | DockerRenode:
    """The way this rig entry's Renode is started, or a :class:`BackendError` saying why
    none is available."""
    command = list(options.get("renode") or ["renode"])
    mode = str(options.get("docker", "auto"))
    on_path = shutil.which(command[0]) is not None
    if mode != "always" and on_path:
        return LocalRenode(command)
    if mode == "never":
        raise BackendError(
            f"Renode is not installed ({command[0]!r} is not on PATH) and the rig says "
            "`docker: never`; the renode backend is experimental -- see docs/backends.md"
        )
    url = str(options.get("docker_url") or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_URL)
    client, why = docker_client(url)
    if client is None:
        head = (
            ""
            if mode == "always"
            else f"Renode is not installed ({command[0]!r} is not on PATH) and "
        )
        raise BackendError(
            f"{head}{why}; the renode backend is experimental -- see docs/backends.md"
        )
    from emulator.renode import PLATFORM

    mounts: dict[Path, str] = {PLATFORM.parent.resolve(): str(MOUNT_ROOT / "platform")}
    for key in ("platform", "elf"):
        value = options.get(key)
        if value:
            folder = Path(value).resolve().parent
            if not any(folder.is_relative_to(h) for h in mounts):
                mounts[folder] = str(MOUNT_ROOT / key)
    return DockerRenode(client, url, str(options.get("docker_image") or DEFAULT_IMAGE), mounts)
