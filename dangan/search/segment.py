"""Turning text into index tokens and queries into terms, the same way for both databases.

Every token is made of ASCII letters/digits and CJK characters only, so no FTS or tsquery
syntax character can ever reach the database from a token (see index.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin

from dangan.core import identifiers

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

_KEEP = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_DIGIT = re.compile(r"\D")
# 3-1203, 3栋1203, 3号楼1203室, 3#1203, 3幢-1203 → building 3, room 1203
_UNIT = re.compile(r"^(\d{1,4})(?:-|栋|幢|号楼|#|号|座)+(?:\d{1,2}(?:单元|-))?(\d{2,6})(?:室|号)?$")
MAX_TEXT_TOKENS = 20000


def clean(value: str) -> str:
    """Lowercase ASCII, keep letters, digits and CJK; drop everything else."""
    return "".join(_KEEP.findall(identifiers.normalize(value).lower()))


def has_cjk(value: str) -> bool:
    return bool(_CJK.search(value))


def suffixes(token: str, min_len: int = 1, limit: int = 40) -> list[str]:
    """All suffixes of `token`: with a prefix query, any substring is found."""
    return [token[i:] for i in range(min(len(token) - min_len + 1, limit))]


def initials(name: str) -> tuple[str, str]:
    """Pinyin initials and full pinyin of a Chinese name: 王建国 → (wjg, wangjianguo)."""
    chars = "".join(_CJK.findall(name))
    if not chars:
        return ("", "")
    first = "".join(lazy_pinyin(chars, style=Style.FIRST_LETTER))
    full = "".join(lazy_pinyin(chars))
    return (clean(first), clean(full))


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


def unit_key(value: str) -> str:
    """A unit/room in one canonical token ("3x1203"), or "" if it is not one."""
    match = _UNIT.match(identifiers.normalize(value))
    return f"{match.group(1)}x{match.group(2)}" if match else ""


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
