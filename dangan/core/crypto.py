"""Encryption at rest for identity numbers, and keyed hashes to find them again.

A database dump shows only Fernet ciphertext (GB/T 35273 §6.3a). Exact and suffix
searches use HMAC-SHA256 lookup values, which reveal nothing without the data-dir key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def lookup_hash(value: str, *, purpose: str = "exact", key: str | None = None) -> str:
    """Keyed hash of a normalised value; `purpose` separates exact and suffix lookups.
    `key`: another lookup key than the instance's (a key rotation)."""
    mac = _keyed(key or settings.LOOKUP_HASH_KEY).copy()
    mac.update(f"{purpose}:{value}".encode())
    return mac.hexdigest()


@cache
def _keyed(key: str) -> hmac.HMAC:
    """An HMAC-SHA256 that has taken the key and nothing else: copying it is half the cost
    of keying a new one (an import hashes five values a row)."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)
