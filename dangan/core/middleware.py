from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageMiddleware:
    """Simplified Chinese unless the user switched language (SPEC C12).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    English-language Windows on a Chinese intranet would get an English UI nobody
    asked for. Here only the explicit choice (the language cookie) counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class IdleTimeoutMiddleware:
    """Sessions end after DANGAN_SESSION_IDLE_MINUTES without a request (等保: idle logout).

    Saving the session on every request would cost a database write per page; touching
    it once a minute keeps the same timeout within a minute, for a fraction of the writes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.every = int(getattr(settings, "DANGAN_SESSION_TOUCH_SECONDS", 60))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - int(session.get("_touched", 0)) >= self.every:
                session["_touched"] = now  # modified → saved with a fresh expiry
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers every page, API answer and export gets (static files are answered before,
    by WhiteNoise, and keep their long cache):

    - Cache-Control: no-store: what carries personal data stays out of every cache (the
      browser's disk, a proxy's), whatever the view set, unless it already says no-store;
    - Content-Security-Policy (DANGAN_CSP): scripts from this server only, no inline
      script, nothing framing the pages;
    - Strict-Transport-Security when DANGAN_HSTS_SECONDS is set (browsers heed it over
      HTTPS only, so it is sent whatever the proxy in front tells us about the scheme).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = str(getattr(settings, "DANGAN_CSP", ""))
        hsts = int(getattr(settings, "DANGAN_HSTS_SECONDS", 0))
        self.hsts = f"max-age={hsts}" if hsts > 0 else ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.hsts:
            response.headers.setdefault("Strict-Transport-Security", self.hsts)
        return response


class FragmentMessagesMiddleware:
    """Messages added while answering an htmx request are shown with that answer: the
    fragment htmx swaps in gets the messages list as an out-of-band swap of the page's
    #messages container (base.html). Without this they waited for the next full page,
    one step late. Redirects, full pages (which show them themselves) and non-HTML
    answers are left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if response.status_code >= 300 and response.status_code < 400:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if "HX-Redirect" in response or "HX-Location" in response:
            return response
        from django.contrib.messages import get_messages
        from django.template.loader import render_to_string

        storage = get_messages(request)
        if len(storage) == 0:
            return response
        html = render_to_string("includes/messages.html", {"messages": storage, "oob": True})
        response.content = response.content + html.encode()
        return response
