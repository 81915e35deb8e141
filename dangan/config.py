"""Runtime configuration from the environment (SPEC §4), and the keys file of the data dir."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("DANGAN_DATA_DIR") or "./var").resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def restrict_permissions(directory: Path, *, deep: bool) -> int:
    """Make the data dir private to the user running Dangan: folders 0700, files 0600
    (#22: the database, the keys and the scans were world-readable). The data dir itself
    at 0700 already keeps other users out of everything below it; `deep` also walks every
    file (`dangan init`: once, after an upgrade), otherwise only the top level is set
    (`dangan serve`, quick whatever the number of files). The collected static files
    are public assets and are left alone. Returns how many modes were changed."""
    changed = 0

    def fix(path: Path, mode: int) -> None:
        nonlocal changed
        try:
            if path.is_symlink() or (path.stat().st_mode & 0o777) == mode:
                return
            path.chmod(mode)
            changed += 1
        except OSError:
            pass  # not ours (a mount point): said by `dangan verify`, not fatal

    fix(directory, 0o700)
    for entry in directory.iterdir():
        if entry.name == "static":
            continue
        if entry.is_dir() and not entry.is_symlink():
            fix(entry, 0o700)
            if deep:
                for root, dirs, files in os.walk(entry):
                    for name in dirs:
                        fix(Path(root) / name, 0o700)
                    for name in files:
                        fix(Path(root) / name, 0o600)
        else:
            fix(entry, 0o600)
    return changed


KEYS_FILE = "secrets.json"


def new_secrets() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(50),
        "field_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "lookup_key": secrets.token_hex(32),
        "audit_key": secrets.token_hex(32),
    }


def load_secrets(directory: Path) -> dict[str, str]:
    """Read the keys file of the data dir.

    The secret key signs sessions; `field_key` encrypts identity numbers at rest;
    `lookup_key` keys the hashes that let us search encrypted values; `audit_key` keys the
    audit trail's hash chain, so that whoever can write the database cannot re-chain it.
    Losing this file makes encrypted values unreadable, so backups include it.

    A missing file is never replaced silently: the keys returned then are random
    placeholders marked "missing", on which every command and the web application stop
    (dangan.backups.gate); only `dangan init` on an empty database writes a new file.
    """
    path = directory / KEYS_FILE
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        if "audit_key" not in loaded:
            # An instance from before the keyed chain: the new key is added, no other
            # key is touched.
            loaded["audit_key"] = secrets.token_hex(32)
            _write_secrets(path, loaded, replace=True)
        return loaded
    return {**new_secrets(), "missing": "1"}


def create_secrets(directory: Path) -> dict[str, str]:
    """Write a new keys file (mode 0600); fails if one exists. For `dangan init` on an
    empty database and for the test suite's throw-away data dir only."""
    values = new_secrets()
    _write_secrets(directory / KEYS_FILE, values, replace=False)
    return values


def write_secrets(path: Path, values: dict[str, str]) -> None:
    """Write a keys file that does not exist yet (restored from a backup)."""
    _write_secrets(path, values, replace=False)


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
