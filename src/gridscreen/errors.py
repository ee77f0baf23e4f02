"""The one base class for errors a person sees. Messages are gettext templates, translated on the way out."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error with an HTTP status and a message a person can act on (never personal data)."""

    status: int = 400

    def __init__(self, template: str, **params: Any):
        self.template = template
        self.params = params
        super().__init__(template.format(**params))

    def message(self, translate=lambda s: s) -> str:
        return translate(self.template).format(**self.params)


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthorised(DomainError):
    status = 401


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422
