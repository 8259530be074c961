"""AWS IoT Device Shadow service, as a sans-IO core (see ``service.ShadowService``)."""

from .document import ShadowRejection
from .service import ShadowKey, ShadowService

__all__ = ["ShadowKey", "ShadowRejection", "ShadowService"]
