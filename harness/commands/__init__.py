"""Subcommands of ``steelhil``; each module exposes ``register(subparsers)``."""
