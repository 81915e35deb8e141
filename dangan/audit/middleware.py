"""Remembers the client address of the current request for the audit trail."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

client_ip: ContextVar[str] = ContextVar("client_ip", default="")


def request_ip(request: HttpRequest, *, trust_forwarded: bool = False) -> str:
    if trust_forwarded:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[0].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Behind a reverse proxy the deployer sets DANGAN_TRUST_X_FORWARDED_FOR; we do
        # not trust the header by default because clients can forge it.
        self.trust_forwarded = os.environ.get("DANGAN_TRUST_X_FORWARDED_FOR", "") == "1"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(request_ip(request, trust_forwarded=self.trust_forwarded))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
