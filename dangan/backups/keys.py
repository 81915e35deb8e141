"""Which instance a keys file belongs to, and check values that tell a wrong keys file
from the right one without revealing the keys. Django-free."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

KEY_NAMES = ("secret_key", "field_key", "lookup_key", "audit_key")
KEYS_FILE = "secrets.json"


def instance_id(secrets: dict[str, str]) -> str:
    """A stable name of the instance: from the audit key, which is never rotated."""
    return hmac.new(secrets["audit_key"].encode(), b"dangan/instance", hashlib.sha256).hexdigest()[
        :16
    ]


def key_checks(secrets: dict[str, str]) -> dict[str, str]:
    """An HMAC of a constant under each key: equal values, equal keys."""
    return {
        name: hmac.new(secrets[name].encode(), b"dangan/key-check", hashlib.sha256).hexdigest()
        for name in KEY_NAMES
        if name in secrets
    }


def read_keys(directory: Path) -> dict[str, str] | None:
    path = directory / KEYS_FILE
    if not path.is_file():
        return None
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
