"""Request and response plumbing shared by the routes that stand in for moto."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from werkzeug.wrappers import Response

from ..errors import ApiError, invalid_request
from ..strict_json import JsonRefused
from ..strict_json import loads as parse_strict

#: SigV4 signing names that differ from the service names used in routes.
_SIGNING_ALIASES = {"iotdata": "iot-data", "monitoring": "cloudwatch"}
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service a SigV4-signed request is for, from its Authorization header."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        return None
    name = match.group(1).lower()
    return _SIGNING_ALIASES.get(name, name)


def raw_path(environ: dict[str, Any]) -> str:
    """The path as sent, still percent-encoded, so ``%2F`` inside a topic stays one segment."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0]
    return quote(environ.get("PATH_INFO", ""))


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the body and put it back, so moto can still read it if the call is forwarded."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    body: bytes = stream.read(int(length)) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


@dataclass
class ApiCall:
    service: str
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: bytes
    environ: dict[str, Any]
    forward: Callable[[], Response] = field(repr=False)

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = parse_strict(self.body)
        except JsonRefused as refused:
            raise invalid_request(
                f"the request body is not valid JSON: {refused.message}"
            ) from None
        if not isinstance(data, dict):
            raise invalid_request("the request body must be a JSON object")
        return data

    def flag(self, name: str) -> bool:
        return self.query.get(name, "false").lower() == "true"

    def int_query(self, name: str) -> int | None:
        value = self.query.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise invalid_request(f"{name} must be an integer") from None


def parse_query(environ: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")), status=status, mimetype="application/json"
    )


def error_response(error: ApiError) -> Response:
    response = json_response(error.body(), error.status)
    response.headers["x-amzn-ErrorType"] = error.error_type
    return response


Handler = Callable[[ApiCall], Response]


@dataclass
class Route:
    service: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Operations answered here instead of by moto, plus a hook after moto's own answers."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.after_moto: list[Callable[[ApiCall, Response], None]] = []

    def add(self, service: str, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append(Route(service, method, re.compile(f"^{regex}/?$"), handler))

    def match(self, service: str, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route in self.routes:
            if route.service == service and route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route.handler, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def paginate(items: list[Any], call: ApiCall, key: str, default_size: int = 250) -> dict[str, Any]:
    """AWS-style pagination with an opaque offset token."""
    size = call.int_query("maxResults") or call.int_query("pageSize") or default_size
    token = call.query.get("nextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise invalid_request("invalid nextToken") from None
    out: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return out
