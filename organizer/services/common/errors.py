"""Domain errors: services raise them, views turn them into messages or status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; ``message`` is safe to show to the person who acted."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    """Views answer 404, so a denied person learns nothing about what exists."""


class ValidationFailed(DomainError):
    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    pass
