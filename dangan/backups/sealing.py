"""The keys file inside a backup, encrypted with the operator's passphrase.

scrypt derives a 256-bit key from the passphrase and a random salt; AES-GCM encrypts the
keys together with a seal: the SHA-256 of every other member of the backup. A wrong
passphrase fails the GCM tag; a backup whose members were edited and re-hashed by someone
without the passphrase fails the seal. Django-free (restore runs before any settings).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "dangan-keys/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSPHRASE = 8


class WrongPassphrase(Exception):
    pass


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal(secrets: dict[str, str], members: dict[str, str], passphrase: str) -> bytes:
    """The encrypted keys file: `secrets` and `members` (name -> sha256 of every other
    member of the backup) under a key derived from `passphrase`."""
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    plain = json.dumps({"secrets": secrets, "members": members}, sort_keys=True).encode()
    header = {"format": FORMAT, "kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
    aad = json.dumps(header, sort_keys=True).encode()
    body = {
        **header,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "ciphertext": _b64(AESGCM(key).encrypt(nonce, plain, aad)),
    }
    return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode()


def unseal(data: bytes, passphrase: str) -> dict[str, Any]:
    """{"secrets": ..., "members": ...}; WrongPassphrase if the passphrase does not open it
    (or the file was changed), ValueError if it is not a keys file at all."""
    try:
        body = json.loads(data)
        header = {k: body[k] for k in ("format", "kdf", "n", "r", "p")}
        salt, nonce, ciphertext = (
            base64.b64decode(body[k]) for k in ("salt", "nonce", "ciphertext")
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a Dangan keys file") from exc
    if header["format"] != FORMAT or header["kdf"] != "scrypt":
        raise ValueError(f"unknown keys file format {header['format']}")
    key = _derive(passphrase, salt, int(header["n"]), int(header["r"]), int(header["p"]))
    aad = json.dumps(header, sort_keys=True).encode()
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise WrongPassphrase from exc
    opened: dict[str, Any] = json.loads(plain)
    return opened
