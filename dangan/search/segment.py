"""Turning text into index tokens and queries into terms, the same way for both databases.

Every token is made of ASCII letters/digits and CJK characters only, so no FTS or tsquery
syntax character can ever reach the database from a token (see index.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from dangan.core import identifiers

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

_KEEP = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_DIGIT = re.compile(r"\D")
# A unit as clerks write it: building, entrance (单元/门) and room, building and entrance
# optional — 3-1-1203, 3栋1单元1203, 3号楼1单元1203室, 3#1-1203; 3-1203, 3栋1203, 3幢-1203;
# 1单元1203; 1203室. [0-9], not \d: the tokens must stay ASCII (see the module docstring).
_UNIT = re.compile(
    r"^(?:([0-9]{1,4})(?:-|栋|幢|号楼|#|号|座)+)?"
    r"(?:([0-9]{1,2})(?:单元|门)-?|([0-9]{1,2})-)?"
    r"([0-9]{2,6})(?:室|号)?$"
)
_NUMBER = re.compile(r"[0-9]+")
_DASHES = str.maketrans("－‐‑–—―＃", "------#")  # full-width and typographic forms
MAX_TEXT_TOKENS = 20000


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than in the first search."""
    jieba.initialize()


def clean(value: str) -> str:
    """Lowercase ASCII, keep letters, digits and CJK; drop everything else."""
    return "".join(_KEEP.findall(identifiers.normalize(value).lower()))


def has_cjk(value: str) -> bool:
    return bool(_CJK.search(value))


def suffixes(token: str, min_len: int = 1, limit: int = 40) -> list[str]:
    """All suffixes of `token`: with a prefix query, any substring is found."""
    return [token[i:] for i in range(min(len(token) - min_len + 1, limit))]


@functools.lru_cache(maxsize=65536)
def initials(name: str) -> tuple[str, str]:
    """Pinyin initials and full pinyin of a Chinese name: 王建国 → (wjg, wangjianguo).
    (Cached: names repeat, and imports index thousands a second.)"""
    chars = "".join(_CJK.findall(name))
    if not chars:
        return ("", "")
    syllables = _syllables(chars)
    first = "".join(s[:1] for s in syllables)
    return (clean(first), clean("".join(syllables)))


# Longer strings (company names) go to pypinyin whole: they hold phrases more often than
# not, and checking every substring would cost more than it saves.
_PER_CHAR_MAX = 6


def _syllables(chars: str) -> list[str]:
    """lazy_pinyin(chars, style=NORMAL), read char by char from a cache when no phrase of
    pypinyin's dictionary occurs in `chars`: pypinyin then reads each char alone anyway,
    and its segmentation costs more than the lookup (an import indexes thousands of
    names a second, nearly all of them new)."""
    n = len(chars)
    if n > _PER_CHAR_MAX or any(
        chars[i:j] in PHRASES_DICT for i in range(n - 1) for j in range(i + 2, n + 1)
    ):
        return list(lazy_pinyin(chars, style=Style.NORMAL))
    return [_char_syllable(char) for char in chars]


@functools.lru_cache(maxsize=32768)
def _char_syllable(char: str) -> str:
    return str(lazy_pinyin(char, style=Style.NORMAL)[0])


def name_tokens(*names: str) -> list[str]:
    tokens: list[str] = []
    for name in names:
        token = clean(name)
        if not token:
            continue
        tokens += suffixes(token)
        tokens += [part for part in initials(name) if part]
    return tokens


def digit_tokens(value: str) -> list[str]:
    digits = _NON_DIGIT.sub("", identifiers.normalize(value))
    return suffixes(digits, min_len=4) if len(digits) >= 4 else []


def _unit_parts(value: str) -> tuple[str, str, str] | None:
    """(building, entrance, room) of a unit, "" for a part not written; None if `value`
    is not a unit. Leading zeros of building and entrance do not count (03栋 is 3栋)."""
    match = _UNIT.match(identifiers.normalize(value).translate(_DASHES))
    if match is None:
        return None
    building, entrance, entrance_dash, room = match.groups()
    entrance = entrance or entrance_dash
    return (str(int(building)) if building else "", str(int(entrance)) if entrance else "", room)


def _unit_tokens(building: str, entrance: str, room: str) -> list[str]:
    """Building and room always ("3x1203": found by 3-1203 whatever the entrance); with the
    entrance when it is known ("3x1x1203"), else marked unknown ("3xx1203")."""
    return [f"{building}x{room}", f"{building}x{entrance}x{room}"]


def unit_query(value: str) -> list[str]:
    """The index tokens a typed unit matches, best first; [] if it names no building.
    3-1203 matches building 3 room 1203 in any entrance; 3-1-1203 matches entrance 1,
    and the dossiers whose entrance was never recorded (they may well be that one)."""
    parts = _unit_parts(value)
    if parts is None or not parts[0]:
        return []
    building, entrance, room = parts
    if not entrance:
        return [f"{building}x{room}"]
    return [f"{building}x{entrance}x{room}", f"{building}xx{room}"]


def unit_keys(building: str, entrance: str, unit: str) -> list[str]:
    """The index tokens of a dossier's unit fields: 楼栋号 `building`, 单元 `entrance`
    (property dossiers only) and 房号 `unit`. The unit may hold all three (3-1-1203), or
    repeat the building (3-1203 in building 3), or hold the entrance and room (1-1203 in
    building 3) or the room alone (1203). An ambiguous unit is indexed under each reading:
    a false hit costs less than a dossier that cannot be found."""
    parts = _unit_parts(unit)
    if parts is None:
        return []
    b, e, room = parts
    field_b = _NUMBER.search(identifiers.normalize(building))
    field_e = _NUMBER.search(identifiers.normalize(entrance))
    fb = str(int(field_b.group())) if field_b else ""
    fe = str(int(field_e.group())) if field_e else ""
    tokens: list[str] = []
    if b:  # read alone; the entrance field counts only if the buildings agree
        tokens += _unit_tokens(b, e or (fe if fb in ("", b) else ""), room)
    if fb and not (b and e) and b != fb:  # under the building field
        tokens += _unit_tokens(fb, b or e or fe, room)
    return list(dict.fromkeys(tokens))


def text_tokens(*texts: str) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        for word in jieba.cut_for_search(text[:200_000]):
            token = clean(word)
            if token:
                seen[token] = None
            if len(seen) >= MAX_TEXT_TOKENS:
                return list(seen)
    return list(seen)


def query_words(query: str) -> list[str]:
    """The words of a query, segmented the way titles and texts are (precise mode)."""
    words: list[str] = []
    for word in jieba.cut(query):
        token = clean(word)
        if token and token not in words:
            words.append(token)
    return words[:10]


def join(tokens: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(t for t in tokens if t))
