"""Remembers the client address of the current request for the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

client_ip: ContextVar[str] = ContextVar("client_ip", default="")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Behind a reverse proxy the deployer sets DANGAN_TRUST_X_FORWARDED_FOR; we do
        # not trust the header by default because clients can forge it.
        token = client_ip.set(request.META.get("REMOTE_ADDR", ""))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
