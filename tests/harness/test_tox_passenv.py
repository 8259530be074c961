"""Setup behind a company network: tox hands the machine's trust and proxy settings to
every environment that installs or fetches, and the MicroPython check's npm install shows
its own error and says what to do (issue: ``mpy: FAIL code 1`` and nothing else).

The checks run the real ``tox.ini`` with the real tox, and the real
``ci/micropython/run-tests.sh`` with the real npm, against an empty ``node_modules``.  They
do not depend on this machine's network: a local HTTPS "registry" with its own CA and a
local HTTP proxy show that the settings reach npm inside tox, whatever the machine has.
"""

from __future__ import annotations

import fnmatch
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.iotcore.pki import LocalCA

REPO = Path(__file__).resolve().parents[2]
TOX = [sys.executable, "-m", "tox"]

#: What a machine's trust and proxy settings are carried in: each must reach every tox
#: environment (spelled as tools read them, both cases where tools read both).
SETTINGS = (
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "PIP_INDEX_URL",
    "npm_config_cafile",
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
)
PACKAGE = "/@micropython%2fmicropython-webassembly-pyscript"

needs_npm = pytest.mark.skipif(
    shutil.which("npm") is None or shutil.which("node") is None,
    reason="Node.js and npm are installed by ./dev test (the MicroPython check needs them)",
)


def tox_pass_env() -> dict[str, list[str]]:
    """Each tox environment's ``pass_env`` as tox itself resolves it."""
    done = subprocess.run(
        [*TOX, "-c", str(REPO / "tox.ini"), "config", "-k", "pass_env", "-e", "ALL"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out: dict[str, list[str]] = {}
    env = ""
    for line in done.stdout.splitlines():
        if line.startswith("[testenv:"):
            env = line[len("[testenv:") : -1]
            out[env] = []
        elif line.startswith("  ") and env:
            out[env].append(line.strip())
    return out


def test_every_tox_environment_passes_the_trust_and_proxy_settings() -> None:
    envs = tox_pass_env()
    assert {"lint", "py", "scenarios", "mpy", "browser"} <= set(envs)
    for env, patterns in envs.items():
        missing = [v for v in SETTINGS if not any(fnmatch.fnmatchcase(v, p) for p in patterns)]
        assert missing == [], f"tox env {env} does not pass {', '.join(missing)}"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout whose MicroPython runner has never installed anything: the real tox.ini
    and ci/micropython scripts, the real firmware, tests and harness (linked: the compiled
    run loads harness/ota/compile.py)."""
    root = tmp_path / "checkout"
    runner = root / "ci" / "micropython"
    runner.mkdir(parents=True)
    for name in (
        "package.json",
        "run-tests.mjs",
        "run-tests.sh",
        "run-script.mjs",
        "run-compiled.sh",
        "compile-firmware.py",
    ):
        shutil.copy(REPO / "ci" / "micropython" / name, runner / name)
    shutil.copy(REPO / "tox.ini", root / "tox.ini")
    for name in ("firmware", "tests", "scenarios", "harness"):
        (root / name).symlink_to(REPO / name)
    return root


def environment(**changes: str | None) -> dict[str, str]:
    """This process's environment with ``changes`` (None removes a variable); npm is told
    not to retry, so a refused install ends in seconds."""
    env = dict(os.environ)
    env["npm_config_fetch_retries"] = "0"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def tox_mpy(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    config = ["-c", str(root / "tox.ini"), "--workdir", str(root / ".tox")]
    return subprocess.run(
        [*TOX, *config, "-e", "mpy", "--", "tests.firmware.test_agent_shadow"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # tox shows a command's stderr on its own stderr
        text=True,
        timeout=600,
    )


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 404 to everything and records the request lines it got."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.requestline)
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(context: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def company_registry(tmp_path: Path) -> Iterator[tuple[str, list[str], Path]]:
    """An npm registry behind TLS signed by a CA of its own, as a TLS-inspecting proxy
    presents: (url, request lines seen, the CA file)."""
    ca = LocalCA.load_or_create(tmp_path / "company-ca", name="company inspection CA")
    cert, key = ca.issue_server(["127.0.0.1"])
    (tmp_path / "server.pem").write_bytes(cert + ca.pem)  # the chain ends in the CA
    (tmp_path / "server.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    for url, seen in serve(context):
        yield url, seen, ca.ca_file


@pytest.fixture
def http_proxy() -> Iterator[tuple[str, list[str]]]:
    yield from serve()


@needs_npm
def test_without_the_company_ca_the_install_error_is_shown_with_what_to_do(
    checkout: Path, company_registry: tuple[str, list[str], Path]
) -> None:
    url, _, _ = company_registry
    done = tox_mpy(checkout, environment(npm_config_registry=url, NODE_EXTRA_CA_CERTS=None))
    assert done.returncode != 0
    assert "SELF_SIGNED_CERT_IN_CHAIN" in done.stdout  # npm's own error
    assert "npm could not install @micropython/micropython-webassembly-pyscript" in done.stdout
    assert "export NODE_EXTRA_CA_CERTS=/path/to/company-ca.pem" in done.stdout
    assert "Run: tox -e mpy" in done.stdout


@needs_npm
def test_the_company_ca_and_registry_settings_reach_npm_inside_tox(
    checkout: Path, company_registry: tuple[str, list[str], Path]
) -> None:
    url, seen, ca_file = company_registry
    done = tox_mpy(checkout, environment(npm_config_registry=url, NODE_EXTRA_CA_CERTS=str(ca_file)))
    # npm trusted the CA (the TLS handshake completed) and asked our registry for the package
    assert any(PACKAGE in line for line in seen), done.stdout
    assert done.returncode != 0  # the stand-in registry has no packages
    assert "E404" in done.stdout and "The registry refused the request" in done.stdout


@needs_npm
def test_the_proxy_settings_reach_npm_inside_tox(
    checkout: Path, http_proxy: tuple[str, list[str]]
) -> None:
    proxy, seen = http_proxy
    env = environment(
        npm_config_registry="http://registry.example.invalid/",
        http_proxy=proxy,
        no_proxy=None,
        NO_PROXY=None,
        HTTP_PROXY=None,
    )
    done = tox_mpy(checkout, env)
    assert any(f"GET http://registry.example.invalid{PACKAGE}" in s for s in seen), done.stdout
    assert done.returncode != 0


@needs_npm
def test_an_unreachable_registry_is_reported_with_npms_error(checkout: Path) -> None:
    """Outside tox too: the script never hides the installer's output."""
    closed = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    done = subprocess.run(
        ["bash", str(checkout / "ci" / "micropython" / "run-tests.sh")],
        env=environment(npm_config_registry=closed),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "ECONNREFUSED" in done.stderr
    assert "npm could not reach its registry" in done.stderr
    assert "npm_config_registry" in done.stderr
    assert not (checkout / "ci" / "micropython" / "node_modules" / "@micropython").is_dir()


@needs_npm
@pytest.mark.slow
def test_mpy_through_tox_installs_into_an_empty_node_modules_and_runs(checkout: Path) -> None:
    """The whole path on this machine's own network settings (a proxy or none): tox, npm
    install into an empty node_modules, then the firmware tests under MicroPython."""
    done = tox_mpy(checkout, environment())
    assert done.returncode == 0, done.stdout
    assert "passed, 0 failed" in done.stdout
    # then the same module against firmware/ compiled to .mpy (ci/micropython/run-compiled.sh)
    assert "mpy-cross emitting mpy v6.3" in done.stdout
    assert "firmware: the compiled tree" in done.stdout
    assert (
        checkout / "ci/micropython/node_modules/@micropython"
        "/micropython-webassembly-pyscript/package.json"
    ).is_file()
