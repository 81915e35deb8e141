"""Natural order for the names clerks give places and houses: 1号楼 < 4号楼 < 14号楼, and a
house number such as 3-1203 by building, unit, floor and room (each run of digits compares
as a number, so 3-903 comes before 3-1203: floor 9 before floor 12)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DIGITS = re.compile(r"(\d+)")
WIDTH = 12  # digits a number is padded to: house, box and cabinet numbers stay far below


def natural_key(text: object) -> str:
    """A string that sorts as `text` should be read: each run of digits zero-padded (so the
    key also orders rows in the database), letters case-folded, spaces dropped."""
    value = "".join(str(text or "").split()).casefold()
    parts = _DIGITS.split(value)
    return "".join(part.zfill(WIDTH) if index % 2 else part for index, part in enumerate(parts))


def natural_keys(values: Iterable[object]) -> tuple[str, ...]:
    """The natural key of several parts (building, unit, floor, room), compared in turn."""
    return tuple(natural_key(value) for value in values)


def placement_key(keys: Iterable[str], fields: dict[str, object]) -> str:
    """A dossier's sort key by its type's placement fields (e.g. building, unit, floor,
    room): their natural keys, joined by a space (natural keys hold none), which sorts
    before any character a key holds."""
    return " ".join(natural_key(fields.get(key, "")) for key in keys)[:250]
