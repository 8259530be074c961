"""The AWS API side of the local IoT Core: moto's server with the operations moto lacks."""

from .server import ApiServer

__all__ = ["ApiServer"]
