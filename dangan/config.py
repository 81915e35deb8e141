"""Runtime configuration from the environment (SPEC §4), with secrets generated on first run."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("DANGAN_DATA_DIR") or "./var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_secrets(directory: Path) -> dict[str, str]:
    """Read the keys file of the data dir, creating it (mode 0600) on first run.

    The secret key signs sessions; `field_key` encrypts identity numbers at rest;
    `lookup_key` keys the hashes that let us search encrypted values. Losing this file
    makes encrypted values unreadable, so backups must include it.
    """
    path = directory / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    values = {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "lookup_key": secrets.token_hex(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    return values


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default
