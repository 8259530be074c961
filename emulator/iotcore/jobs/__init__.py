"""AWS IoT Jobs, as a sans-IO core: the device protocol and the control plane over one state."""

from .model import Target
from .service import JobsService, Presigner

__all__ = ["JobsService", "Presigner", "Target"]
