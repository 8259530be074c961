"""The device agent: program manager, device API, MQTT topics, shadow, metrics, storage.

``Agent`` is a sans-IO state machine (see :mod:`firmware.agent.core`); the events it
takes and the actions it returns are in :mod:`firmware.agent.events`, the hardware it
needs in :mod:`firmware.agent.ports`.
"""

from .config import Config, ConfigError, load_config, parse_config
from .core import Agent

__all__ = ["Agent", "Config", "ConfigError", "load_config", "parse_config"]
