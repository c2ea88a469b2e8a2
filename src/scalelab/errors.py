"""Errors the core raises; the service turns each kind into one HTTP status."""

from __future__ import annotations


class ScaleLabError(Exception):
    """Base of errors whose message is meant for the person who made the request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ScaleLabError):
    """404: no such thing, or not one the caller may know about."""


class Forbidden(ScaleLabError):
    """403: the caller is known but lacks the role."""


class Conflict(ScaleLabError):
    """409: the request contradicts the current state (duplicate slug, last owner...)."""


class InvalidInput(ScaleLabError):
    """400: the request itself is wrong."""
