"""Turning ApplicationError into responses: one place for the API, one helper for forms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from dangan.core.errors import ApplicationError, Forbidden, NotFound

if TYPE_CHECKING:
    from dangan.accounts.models import User


def record_denial(request: HttpRequest, exc: NotFound | Forbidden) -> None:
    """A refused look or action is itself an event the audit trail keeps (等保 audit):
    a guessed id, a tampered form, a missing permission."""
    from dangan.accounts.models import User
    from dangan.audit.models import AuditEntry
    from dangan.audit.services import audit_record

    if exc.audited:  # the service recorded it under its own action name
        return
    user = getattr(request, "user", None)
    audit_record(
        actor=user if isinstance(user, User) else None,
        action="access",
        object_type="url",
        object_repr=request.path[:200],
        outcome=AuditEntry.Outcome.DENIED,
        detail={
            "method": request.method,
            "reason": "not_found" if isinstance(exc, NotFound) else "forbidden",
        },
    )
    exc.audited = True


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF hook: ApplicationError → JSON `{field: [message]}` with the error's status."""
    if isinstance(exc, NotFound | Forbidden) and context.get("request") is not None:
        record_denial(context["request"], exc)
    if isinstance(exc, ApplicationError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"non_field_errors": [_("请求内容无法解析(需为 UTF-8 编码的 JSON 或表单)")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return exception_handler(exc, context)


def add_form_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a business-rule error in place on the form field it names."""
    for field, messages in error.as_dict().items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


_R = TypeVar("_R", bound=HttpResponseBase)


def app_errors(view: Callable[..., _R]) -> Callable[..., _R]:
    """For HTML views: NotFound → 404 page, Forbidden → 403 page, with the same wording."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> _R:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            record_denial(request, exc)
            raise Http404(str(exc.message)) from None
        except Forbidden as exc:
            record_denial(request, exc)
            raise PermissionDenied(str(exc.message)) from None

    return wrapper


_T = TypeVar("_T")


def attempt(request: HttpRequest, call: Callable[[], _T], success: Any = "") -> _T | None:
    """Run a service for an HTML form post. A refused business rule becomes an error
    message on the next page and None (services are atomic: nothing was written); on
    success the optional `success` message is shown. NotFound still answers 404 (through
    app_errors), so a guessed id learns nothing from the message."""
    from django.contrib import messages

    try:
        result = call()
    except NotFound:
        raise
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return None
    if success:
        messages.success(request, str(success))
    return result


def actor_of(request: HttpRequest | Any) -> User:
    """The signed-in user acting in this request (views are behind login_required / DRF
    authentication, so anything else is a wiring error, refused as not signed in)."""
    from dangan.accounts.models import User

    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied(_("请先登录"))
    return user


def is_htmx(request: HttpRequest) -> bool:
    """True for requests made by htmx (django-htmx sets request.htmx)."""
    return bool(getattr(request, "htmx", False))


PDF = "application/pdf"


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A generated PDF (a slip, a register), shown in the browser's viewer; the pages and
    the API answer alike."""
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
