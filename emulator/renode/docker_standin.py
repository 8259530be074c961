"""A stand-in for the Docker Engine API on a Unix socket, enough for the Docker SDK to start,
inspect, stop and remove a Renode container -- whose "Renode" is :mod:`.standin`.

Why: no Docker engine runs here, yet the ``renode`` backend's Docker path should be tested
with the real SDK speaking real HTTP to a socket.  The endpoints and the bodies follow the
Engine API as the SDK (7.x) calls it (reference notes H.2):

* ``GET /_ping``, ``GET /version`` (versioned or not);
* ``POST /containers/create?name=`` -- 404 ``No such image`` for an image that is not
  local, after which the SDK pulls (``POST /images/create?fromImage=&tag=``) and retries;
* ``GET /containers/{id}/json`` with ``State.Status`` and ``HostConfig.LogConfig.Type``
  (the SDK reads both), ``POST .../start`` (204), ``POST .../stop?t=`` (204, 304 if not
  running), ``GET .../logs`` (multiplexed frames: no TTY), ``DELETE /containers/{id}``.

Starting a container whose command is ``renode ...`` runs ``python -m
emulator.renode.standin ...`` with the container's bind mounts passed on, so paths under
the mount points resolve as inside the container.  Published ports must map a port to the
same number (the backend publishes them so); any other mapping is refused, because the
stand-in's processes share the host's network.  Every request is kept in ``requests``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socketserver
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .standin import BINDS_VARIABLE

API_VERSION = "1.45"
_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")


@dataclass
class Container:
    id: str
    name: str
    body: dict[str, Any]
    status: str = "created"
    process: subprocess.Popen[bytes] | None = None
    output: Path | None = None
    removed: bool = False


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Engine:
    """The engine's state: images present and pullable, containers, requests seen."""

    workdir: Path
    images: set[str] = field(default_factory=set)
    registry: set[str] = field(default_factory=set)
    containers: dict[str, Container] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, ref: str) -> Container | None:
        for c in self.containers.values():
            if not c.removed and (c.id == ref or c.id.startswith(ref) or c.name == ref):
                return c
        return None

    def inspect(self, c: Container) -> dict[str, Any]:
        running = c.status == "running"
        return {
            "Id": c.id,
            "Name": "/" + c.name,
            "Image": c.body.get("Image", ""),
            "Config": {
                "Image": c.body.get("Image", ""),
                "Cmd": c.body.get("Cmd"),
                "Labels": c.body.get("Labels") or {},
                "Tty": False,
            },
            "State": {
                "Status": c.status,
                "Running": running,
                "Pid": c.process.pid if c.process and running else 0,
            },
            "HostConfig": dict(c.body.get("HostConfig") or {}, LogConfig={"Type": "json-file"}),
        }

    def start(self, c: Container) -> tuple[int, Any]:
        cmd = list(c.body.get("Cmd") or [])
        if not cmd or cmd[0] != "renode":
            return 400, {"message": f"this stand-in runs only renode, not {cmd!r}"}
        host = c.body.get("HostConfig") or {}
        for port, bindings in (host.get("PortBindings") or {}).items():
            inside = port.split("/")[0]
            for b in bindings or []:
                if b.get("HostPort") != inside:
                    return 500, {"message": f"stand-in: publish {port} on the same port number"}
        binds = []
        for bind in host.get("Binds") or []:
            source, target = bind.split(":")[:2]
            binds.append([source, target])
        env = dict(os.environ, **{BINDS_VARIABLE: json.dumps(binds)})
        c.output = self.workdir / f"{c.id[:12]}.log"
        with c.output.open("ab") as out:
            c.process = subprocess.Popen(
                [sys.executable, "-m", "emulator.renode.standin", *cmd[1:]],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        c.status = "running"
        return 204, None

    def stop(self, c: Container, timeout: float) -> int:
        if c.process is None or c.process.poll() is not None:
            c.status = "exited" if c.process else c.status
            return 304
        c.process.terminate()
        try:
            c.process.wait(timeout)
        except subprocess.TimeoutExpired:
            c.process.kill()
            c.process.wait(10)
        c.status = "exited"
        return 204

    def close(self) -> None:
        for c in self.containers.values():
            if c.process is not None and c.process.poll() is None:
                c.process.kill()
                c.process.wait(10)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def address_string(self) -> str:  # a Unix socket has no client address
        return "unix"

    def _reply(self, status: int, body: Any = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        kind = "application/vnd.docker.raw-stream" if raw is not None else "application/json"
        if status != 204 and status != 304:
            self.send_header("Content-Type", kind)
        self.send_header("Api-Version", API_VERSION)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        versioned = _VERSIONED.match(path)
        if versioned:
            path = versioned.group(1)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        engine = self.server.engine
        with engine.lock:
            engine.requests.append(Request(self.command, path, query, body))
            status, reply, stream = self._route(engine, path, query, body)
        self._reply(status, reply, stream)

    def _route(
        self, engine: Engine, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, bytes | None]:
        method = self.command
        if path == "/_ping":
            return 200, None, b"OK"
        if path == "/version":
            return 200, {"ApiVersion": API_VERSION, "Version": "stand-in", "Os": "linux"}, None
        if method == "POST" and path == "/containers/create":
            image = str((body or {}).get("Image", ""))
            if image not in engine.images:
                return 404, {"message": f"No such image: {image}"}, None
            name = (query.get("name") or [f"c{len(engine.containers)}"])[0]
            if engine.find(name) is not None:
                return 409, {"message": f'Conflict. The container name "/{name}" is in use'}, None
            cid = secrets.token_hex(32)
            engine.containers[cid] = Container(cid, name, dict(body or {}))
            return 201, {"Id": cid, "Warnings": []}, None
        if method == "POST" and path == "/images/create":
            image = (query.get("fromImage") or [""])[0]
            tag = (query.get("tag") or ["latest"])[0]
            ref = f"{image}:{tag}"
            if ref not in engine.registry:
                return (
                    404,
                    {"message": f"pull access denied for {image}, repository does not exist"},
                    None,
                )
            engine.images.add(ref)
            lines = [{"status": f"Pulling from {image}", "id": tag}, {"status": "Downloaded"}]
            return 200, None, b"".join(json.dumps(x).encode() + b"\r\n" for x in lines)
        found = re.match(r"^/images/(.+)/json$", path)
        if found and method == "GET":
            if found.group(1) in engine.images:
                return 200, {"Id": "sha256:" + "0" * 64, "RepoTags": [found.group(1)]}, None
            return 404, {"message": f"No such image: {found.group(1)}"}, None
        found = re.match(r"^/containers/([^/]+)(/[a-z]+)?$", path)
        if found:
            container = engine.find(found.group(1))
            if container is None:
                return 404, {"message": f"No such container: {found.group(1)}"}, None
            action = found.group(2) or ""
            if method == "GET" and action == "/json":
                return 200, engine.inspect(container), None
            if method == "POST" and action == "/start":
                status, reply = engine.start(container)
                return status, reply, None
            if method == "POST" and action == "/stop":
                return engine.stop(container, float((query.get("t") or ["10"])[0])), None, None
            if method == "GET" and action == "/logs":
                data = container.output.read_bytes() if container.output else b""
                frame = struct.pack(">BxxxL", 1, len(data)) + data if data else b""
                return 200, None, frame
            if method == "DELETE" and action == "":
                force = (query.get("force") or ["False"])[0].lower() == "true"
                if container.status == "running" and not force:
                    return 409, {"message": "cannot remove a running container"}, None
                engine.stop(container, 1)
                container.removed = True
                return 204, None, None
        return 404, {"message": f"page not found: {method} {path}"}, None

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    engine: Engine


class DockerStandin:
    """``with DockerStandin(socket_path, workdir) as engine:`` serves until the block ends."""

    def __init__(
        self,
        socket_path: Path,
        workdir: Path,
        *,
        images: set[str] | None = None,
        registry: set[str] | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.socket_path = socket_path
        self.engine = Engine(workdir, set(images or ()), set(registry or ()))
        self._server = _Server(str(socket_path), _Handler)
        self._server.engine = self.engine
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def __enter__(self) -> Engine:
        self._thread.start()
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.engine.close()
        self.socket_path.unlink(missing_ok=True)
