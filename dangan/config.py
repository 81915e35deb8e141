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
    `lookup_key` keys the hashes that let us search encrypted values; `audit_key` keys the
    audit trail's hash chain, so that whoever can write the database cannot re-chain it.
    Losing this file makes encrypted values unreadable, so backups must include it.
    """
    path = directory / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        if "audit_key" not in loaded:
            # An instance from before the keyed chain: the new key is added, no other
            # key is touched.
            loaded["audit_key"] = secrets.token_hex(32)
            _write_secrets(path, loaded, replace=True)
        return loaded
    values = {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "lookup_key": secrets.token_hex(32),
        "audit_key": secrets.token_hex(32),
    }
    _write_secrets(path, values, replace=False)
    return values


def _write_secrets(path: Path, values: dict[str, str], *, replace: bool) -> None:
    """Write the keys file with mode 0600; a replacement goes through a temporary file and
    an atomic rename, so a crash never leaves a half-written keys file."""
    target = path.with_suffix(".json.tmp") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(target, path)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default
