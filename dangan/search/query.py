"""Search queries: what the search box's text is taken to mean (names, numbers, units,
words; parse), the filters a search takes, and highlighting what matched."""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.core import identifiers
from dangan.customers.models import identity_lookup
from dangan.search import index
from dangan.search import segment as seg

MAX_QUERY = 100  # longer queries are cut; nobody types more into a search box
FILTER_KEYS = ("archive_type", "status", "department", "owner", "date_from", "date_to", "room")

_DIGITS = re.compile(r"^\d{4,}$")
_ALNUM = re.compile(r"^[0-9A-Z]{4,}$")


@dataclass
class _Query:
    raw: str  # stripped, cut
    norm: str  # identifiers.normalize: no spaces, ASCII digits, upper case
    terms: index.Terms
    needles: list[str]  # what to highlight
    # The identity lookup column and hash `norm` stands for, if any (customers'
    # identity_lookup; None for field-limited searches): worked out once per search.
    identity: tuple[str, str] | None = None


# A candidate's score and why it matched (lazy texts: most candidates are never shown).
_Rank = tuple[int, list[Any]]


def highlight(text: str, needles: list[str]) -> SafeString:
    """Escape first, then wrap each match in <mark>: user text never becomes markup.
    (html.escape, which django.utils.html.escape wraps, without a SafeString for each
    piece, and SafeString rather than mark_safe, whose lazy-text check costs more than
    the escaping: a result page highlights a few hundred pieces.)"""
    folded = text.lower()
    spans: list[tuple[int, int]] = []
    for needle in needles:
        if not needle:
            continue
        needle = needle.lower()
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    if not spans:
        return SafeString(html.escape(text))
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return SafeString("".join(out))  # every piece is escaped above


def snippet(text: str, needles: list[str], width: int = 40) -> SafeString:
    folded = text.lower()
    positions = [folded.find(n.lower()) for n in needles if n and n.lower() in folded]
    start = max(min(positions, default=0) - width, 0)
    piece = text[start : start + width * 3].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width * 3 < len(text) else ""
    return SafeString(prefix + highlight(piece, needles) + suffix)  # highlight escapes


def parse(raw: str, *, names_only: bool) -> _Query:
    text = raw.strip()[:MAX_QUERY]
    norm = identifiers.normalize(text)
    cleaned = seg.clean(text)
    terms = index.Terms()
    needles = [text]
    if cleaned:
        terms.names.append(cleaned)
    if not names_only:
        digits = re.sub(r"\D", "", norm)
        if _DIGITS.match(norm):
            terms.ids.append((norm, True))  # any 4+ digits of a phone: a prefix of a suffix
            needles.append(norm)
        elif _ALNUM.match(norm):
            terms.ids.append((norm.lower(), False))  # VIN, last 6 of a VIN, member no
            needles.append(norm)
        units = seg.unit_query(text)
        terms.ids += [(key, False) for key in units]
        if cleaned and cleaned != norm.lower():
            terms.ids.append((cleaned, False))  # an archive number, punctuation removed
        # A unit (3-1203) is looked up as a unit, not as the words "3" and "1203" of
        # every text that happens to hold both numbers.
        words = [] if units else seg.query_words(text)
        terms.words = words
        needles += words
        if digits and digits not in needles:
            needles.append(digits)
    identity = None if names_only else identity_lookup(norm)
    return _Query(raw=text, norm=norm, terms=terms, needles=needles, identity=identity)


def filter_choices(actor: Any) -> dict[str, list[tuple[Any, Any]]]:
    """The (value, label) pairs the search filters offer the actor: active archive types,
    dossier statuses, the account managers the actor may assign (own scope: only
    themselves), and the departments, for an actor who sees every customer (anyone else
    sees their own department's at most: a department would narrow nothing). Only the
    columns shown are read (a type row holds its whole template)."""
    from dangan.accounts.models import Department
    from dangan.archives.models import ArchiveType

    types = ArchiveType.objects.filter(is_active=True).order_by("code")
    owners = policy.assignable_owners(actor).order_by("username")
    departments = Department.objects.order_by("code") if policy.sees_all_customers(actor) else None
    return {
        "archive_type": list(types.values_list("code", "name")),
        "status": list(Dossier.Status.choices),
        # (pk, str(user)) without making User instances: User.__str__ is the full name,
        # else the username.
        "owner": [
            (pk, full or name)
            for pk, name, full in owners.values_list("pk", "username", "full_name")
        ],
        "department": [] if departments is None else list(departments.values_list("pk", "name")),
    }


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _dossier_filters(filters: dict[str, Any]) -> Q:
    q = Q()
    if filters.get("archive_type"):
        q &= Q(archive_type__code=filters["archive_type"])
    if filters.get("status"):
        q &= Q(status=filters["status"])
    if filters.get("room"):
        q &= Q(location_room__icontains=str(filters["room"])[:40])
    return q


def _common_filters(filters: dict[str, Any], prefix: str, created: str) -> Q:
    q = Q()
    if filters.get("department"):
        q &= Q(**{f"{prefix}department_id": filters["department"]})
    if filters.get("owner"):
        q &= Q(**{f"{prefix}owner_id": filters["owner"]})
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    if start:
        q &= Q(**{f"{created}__date__gte": start})
    if end:
        q &= Q(**{f"{created}__date__lte": end})
    return q


def _by_identity(query: _Query, names_only: bool) -> Q:
    """Identity numbers are not in the index (only their keyed hashes exist): match the
    indexed lookup columns, as customer_query_q does."""
    if names_only or query.identity is None:
        return Q(pk__in=[])
    column, lookup = query.identity
    return Q(**{column: lookup})


def _clean_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The known filters with a value; ids that are not ids are dropped, texts cut."""
    cleaned: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS or value in (None, ""):
            continue
        if key in ("department", "owner"):
            text = str(getattr(value, "pk", value))
            if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
                cleaned[key] = int(text)
        else:
            cleaned[key] = value if isinstance(value, datetime.date) else str(value)[:40]
    return cleaned


def _narrowed(qs: QuerySet[Any], q: Q) -> QuerySet[Any]:
    """`qs` filtered by `q`; without filters, `qs` itself (a filter costs even when empty)."""
    return qs.filter(q) if q else qs
