"""Remembers the client address of the current request for the audit trail."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

client_ip: ContextVar[str] = ContextVar("client_ip", default="")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """DANGAN_TRUSTED_PROXIES: addresses or CIDRs; a wrong one stops the start."""
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DANGAN_TRUSTED_PROXIES: {exc}") from None


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def request_ip(
    request: HttpRequest, *, proxies: tuple[Network, ...] = (), trust_forwarded: bool = False
) -> str:
    """The client's address. Behind proxies X-Forwarded-For is read from the right: each
    trusted proxy appended the address it saw, so the first address from the right that
    is not a trusted proxy is the client (what a client wrote on the left is ignored).
    `trust_forwarded` (DANGAN_TRUST_X_FORWARDED_FOR, no list): one proxy, any address."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if not proxies and not trust_forwarded:
        return remote[:45]
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [h for h in hops if h]
    if not proxies:
        return (hops[-1] if hops else remote)[:45]
    address = remote
    while hops and _trusted(address, proxies):
        hop = hops.pop()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # not an address: keep the last proxy's
        address = hop
    return address[:45]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # X-Forwarded-For is trusted only from the proxies the deployer names: clients
        # can write anything in it.
        self.proxies = trusted_networks(getattr(settings, "DANGAN_TRUSTED_PROXIES", []))
        self.trust_forwarded = bool(getattr(settings, "DANGAN_TRUST_X_FORWARDED_FOR", False))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = request_ip(request, proxies=self.proxies, trust_forwarded=self.trust_forwarded)
        token = client_ip.set(ip)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
