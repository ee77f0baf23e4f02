"""The one base class for errors a person sees. Messages are gettext templates, translated on the way out."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error with an HTTP status and a message a person can act on (never personal data)."""

    status: int = 400
    # Parameters that are themselves message ids (e.g. a document's name), translated with the template.
    translated_params: tuple[str, ...] = ()

    def __init__(self, template: str, **params: Any):
        self.template = template
        self.params = params
        super().__init__(template.format(**params))

    def message(self, translate=lambda s: s) -> str:
        params = {k: translate(v) if k in self.translated_params else v for k, v in self.params.items()}
        return translate(self.template).format(**params)


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
