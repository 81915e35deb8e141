"""BagIt bags (RFC 8493) for backups: writing the tag files, and checking every member.

Django-free: `dangan restore` checks a backup before any settings or keys exist. A bag is
a directory; its payload under `data/`, listed with SHA-256 in manifest-sha256.txt; the
tag files (bagit.txt, bag-info.txt, the manifest, our own dangan-backup.json) listed in
tagmanifest-sha256.txt.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1024 * 1024
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"


class BagError(Exception):
    """The bag is not whole: the message names the first member that is wrong."""


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _encode(name: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in file names are percent-encoded.
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode(name: str) -> str:
    return name.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


@dataclass
class Payload:
    """The payload files as they are written: relative name (under data/) -> sha256, size."""

    entries: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, name: str, sha256: str, size: int) -> None:
        self.entries[name] = (sha256, size)

    @property
    def octets(self) -> int:
        return sum(size for _sha, size in self.entries.values())

    def manifest_text(self) -> str:
        return "".join(
            f"{sha}  {_encode('data/' + name)}\n"
            for name, (sha, _s) in sorted(self.entries.items())
        )


def write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def finish(root: Path, payload: Payload, info: dict[str, str], tag_files: list[str]) -> None:
    """Write bagit.txt, bag-info.txt, the payload manifest and the tag manifest covering
    every other tag file (`tag_files`: extra tag files already written in `root`)."""
    write_text(root / "bagit.txt", BAGIT_TXT)
    info = {**info, "Payload-Oxum": f"{payload.octets}.{len(payload.entries)}"}
    write_text(root / "bag-info.txt", "".join(f"{k}: {v}\n" for k, v in info.items()))
    write_text(root / MANIFEST, payload.manifest_text())
    lines = []
    for name in sorted({"bagit.txt", "bag-info.txt", MANIFEST, *tag_files}):
        sha, _size = sha256_file(root / name)
        lines.append(f"{sha}  {_encode(name)}\n")
    write_text(root / TAGMANIFEST, "".join(lines))


def _read_manifest(root: Path, name: str) -> dict[str, str]:
    path = root / name
    if not path.is_file():
        raise BagError(f"missing {name}")
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        sha, sep, member = line.partition("  ")
        if not sep or len(sha) != 64 or not member:
            raise BagError(f"{name} line {number} malformed")
        member = _decode(member)
        if member.startswith("/") or ".." in Path(member).parts:
            raise BagError(f"{name} line {number}: unsafe path {member}")
        entries[member] = sha.lower()
    return entries


def read_info(root: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    path = root / "bag-info.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                info[key.strip()] = value.strip()
    return info


def _files(root: Path) -> Iterator[str]:
    for directory, _dirs, files in os.walk(root):
        for name in files:
            yield (Path(directory) / name).relative_to(root).as_posix()


def verify(root: Path) -> dict[str, str]:
    """Check the whole bag: the tag manifest against the tag files, the manifest against
    every payload file, no file missing and none unlisted. Return the payload manifest
    (path under the bag -> sha256); raise BagError naming the first problem."""
    if not root.is_dir():
        raise BagError(f"not a directory: {root}")
    declaration = root / "bagit.txt"
    if not declaration.is_file() or declaration.read_text(encoding="utf-8") != BAGIT_TXT:
        raise BagError("bagit.txt is not a BagIt 1.0 declaration")
    tags = _read_manifest(root, TAGMANIFEST)
    for name in ("bagit.txt", "bag-info.txt", MANIFEST):
        if name not in tags:
            raise BagError(f"{TAGMANIFEST} does not cover {name}")
    payload = _read_manifest(root, MANIFEST)
    expected = {**tags, **payload, TAGMANIFEST: ""}
    present = set(_files(root))
    for member in sorted(set(expected) - present):
        raise BagError(f"member missing: {member}")
    for member in sorted(present - set(expected)):
        raise BagError(f"member not in any manifest: {member}")
    octets = 0
    for member, sha in sorted({**tags, **payload}.items()):
        actual, size = sha256_file(root / member)
        if actual != sha:
            raise BagError(f"checksum mismatch: {member}")
        if member in payload:
            octets += size
    oxum = read_info(root).get("Payload-Oxum", "")
    if oxum != f"{octets}.{len(payload)}":
        raise BagError(f"Payload-Oxum {oxum} does not match the payload")
    return payload
