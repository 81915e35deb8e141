"""What a printed label carries and how a scan is read back.

Every print shows the archive number three ways: as text, as a Code 128 barcode of the bare
number (what a USB scanner types), and as a QR code of ``DANGAN:<instance>:<number>``. The
instance tag (derived from this installation's secret key) lets a scan tell a label of
another Dangan installation from one of this, which a bare number cannot."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings

QR_PREFIX = "DANGAN"


def instance_tag() -> str:
    """Eight hex digits naming this installation (stable while its secret key is)."""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, b"dangan-label-instance", hashlib.sha256).hexdigest()[:8]


def qr_payload(archive_number: str) -> str:
    return f"{QR_PREFIX}:{instance_tag()}:{archive_number}"


@dataclass(frozen=True)
class Scan:
    """A scanned text, read: the archive number it names and whether it is of this
    installation (a bare number is taken as this installation's)."""

    archive_number: str
    foreign: bool


def read_scan(text: str) -> Scan:
    """The archive number in a scan: a QR's ``DANGAN:<tag>:<number>`` or a bare number.
    Scanners and phones add line ends and spaces; they are dropped."""
    cleaned = "".join(ch for ch in str(text) if ch.isprintable()).strip()
    prefix, sep, rest = cleaned.partition(":")
    if sep and prefix.upper() == QR_PREFIX:
        tag, sep2, number = rest.partition(":")
        if sep2:
            return Scan(number.strip(), foreign=tag.strip().lower() != instance_tag())
    return Scan(cleaned, foreign=False)
