"""Errors of the AWS control-plane APIs that the local IoT Core implements itself."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An AWS API error: HTTP status, the error type boto3 turns into ``ClientError`` codes."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "__type": self.error_type}


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "InvalidRequestException", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "ResourceNotFoundException", message)


def conflict(error_type: str, message: str) -> ApiError:
    return ApiError(409, error_type, message)
