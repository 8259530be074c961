"""moto's HTTP server, in this process, with a router in front of it.

Running moto in the same process as the shadow and jobs services is what lets boto3 and MQTT
share state: an ``iot-data`` update reaches the devices, a job created with boto3 is notified
over MQTT, a certificate deactivated with boto3 is refused by the broker.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from ..errors import ApiError
from .http import (
    ApiCall,
    Router,
    error_response,
    parse_query,
    raw_path,
    read_body,
    signing_service,
)

log = logging.getLogger(__name__)

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The largest request body the local routes read (AWS's own limits are far below it: 128 KB
#: for a message, 32 KB for a job document); a larger one is refused unread.
MAX_BODY_BYTES = 1024 * 1024


class _QuietHandler(MotoRequestHandler):
    """moto's handler without a log line per request (the CLI's stderr is for people)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ApiServer:
    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 0) -> None:
        self.router = router
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer = make_server(
            host, port, self, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="iotcore-api",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        service = signing_service(environ)
        method = environ["REQUEST_METHOD"]
        path = raw_path(environ)
        hit = self.router.match(service, method, path) if service else None
        watch = service == "iot" and method in _MUTATING and bool(self.router.after_moto)
        if hit is None and not watch:
            return self._moto(environ, start_response)

        if _content_length(environ) > MAX_BODY_BYTES:
            refused = ApiError(
                413,
                "RequestEntityTooLargeException",
                "The payload exceeds the maximum size allowed",
            )
            return error_response(refused)(environ, start_response)
        body = read_body(environ)

        def forward() -> Response:
            environ["wsgi.input"].seek(0)
            return Response.from_app(self._moto, environ, buffered=True)

        call = ApiCall(
            service=service or "",
            method=method,
            path=path,
            params=hit[1] if hit else {},
            query=parse_query(environ),
            body=body,
            environ=environ,
            forward=forward,
        )
        try:
            if hit is not None:
                response = hit[0](call)
            else:
                response = forward()
                if 200 <= response.status_code < 300:
                    for hook in self.router.after_moto:
                        hook(call, response)
        except ApiError as exc:
            response = error_response(exc)
        except Exception:
            log.exception("local IoT Core API failed on %s %s", method, path)
            response = error_response(
                ApiError(500, "InternalFailureException", "Internal service failure")
            )
        return response(environ, start_response)


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
