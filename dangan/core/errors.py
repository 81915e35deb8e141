"""The few errors business code raises; dangan.core.http turns them into responses."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A business rule refused the action. `field` names the input at fault, if any."""

    status_code = 400

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        # Set once the refusal is in the audit trail, so no layer records it twice.
        self.audited = False

    def as_dict(self) -> dict[str, list[str]]:
        return {self.field or "non_field_errors": [str(self.message)]}

    def body(self) -> dict[str, Any]:
        """The API's answer: the field-named messages, and what a subclass adds to them."""
        return dict(self.as_dict())


class ValidationFailed(ApplicationError):
    """Several field errors at once, e.g. from validating a template's custom fields."""

    def __init__(self, errors: dict[str, str | Promise]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors

    def as_dict(self) -> dict[str, list[str]]:
        return {field: [str(message)] for field, message in self.errors.items()}


class NotFound(ApplicationError):
    """Missing or not visible to the actor: deliberately the same answer for both."""

    status_code = 404


class Forbidden(ApplicationError):
    """The actor may see the object but may not perform this action on it."""

    status_code = 403


class InvalidTransition(ApplicationError):
    """A workflow move that the transition table does not allow from the current state.
    `allowed`, when given, names the states the table allows next (sent in the 409)."""

    status_code = 409

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        allowed: list[str] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.allowed = allowed

    def body(self) -> dict[str, Any]:
        answer = super().body()
        if self.allowed is not None:
            answer["allowed"] = list(self.allowed)
        return answer
