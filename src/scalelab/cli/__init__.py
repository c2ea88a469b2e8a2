"""The `scalelab` command: a client of the core and of the service, with no logic of its own."""

from .main import main

__all__ = ["main"]
