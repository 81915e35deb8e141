"""Ranking search candidates: the rows scoring reads (plain values, no model instances),
and per kind, each candidate's score and the reasons it matched."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from dangan.archives.models import Dossier
from dangan.core import identifiers
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.search import segment as seg
from dangan.search.query import _DIGITS, _Query, _Rank

CANDIDATES = 50  # objects scored per kind (the exact hits, then the newest matches)


class CustomerRow(NamedTuple):
    """What scoring and showing a customer hit read: plain values, no model instance
    (a page scores up to CANDIDATES rows per kind)."""

    pk: int
    kind: str
    name: str
    mobile: str
    phone: str
    uscc: str
    id_number_lookup: str
    id_last4_lookup: str
    id_last5_lookup: str
    id_last6_lookup: str


class DossierRow(NamedTuple):
    pk: int
    archive_number: str
    title: str
    fields: dict[str, Any] | None
    customer_name: str | None  # None for a company file (no customer)
    archive_type_name: str


class DocumentRow(NamedTuple):
    pk: int
    title: str
    text: str
    dossier_id: int
    dossier_archive_number: str


_TABLES: dict[str, type[Customer | Dossier | Document]] = {
    "customer": Customer,
    "dossier": Dossier,
    "document": Document,
}

# Per kind: the row type and the columns it is read from (in its field order).
_ROWS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "customer": (CustomerRow, ("pk", *CustomerRow._fields[1:])),
    "dossier": (
        DossierRow,
        ("pk", "archive_number", "title", "fields", "customer__name", "archive_type__name"),
    ),
    "document": (
        DocumentRow,
        ("pk", "title", "text", "dossier_id", "dossier__archive_number"),
    ),
}


# Why a candidate matched: one lazy text each, made once (a search scores hundreds of
# candidates; the hits shown translate each reason once, see search()).
_WHY_NAME = _("姓名")
_WHY_ID_NUMBER = _("证件号码")
_WHY_MOBILE = _("手机号码")
_WHY_USCC = _("信用代码")
_WHY_PHONE = _("电话号码")
_WHY_INITIALS = _("拼音首字母")
_WHY_ARCHIVE_NUMBER = _("档号")
_WHY_MEMBER_NO = _("会员号")
_WHY_UNIT = _("房号")
_WHY_CUSTOMER_NAME = _("客户姓名")
_WHY_DOSSIER_TITLE = _("案卷题名")
_WHY_DOCUMENT_TITLE = _("文件题名")
_WHY_DOCUMENT_TEXT = _("文件内容")


def _score_customer(c: CustomerRow, query: _Query, limited: bool) -> _Rank:
    raw, norm = query.raw, query.norm
    if c.name == raw:
        return 900, [_WHY_NAME]
    if not limited:
        if query.identity is not None:
            column, lookup = query.identity
            if getattr(c, column) == lookup:  # whole number 1000, its last digits 850
                return (1000 if column == "id_number_lookup" else 850), [_WHY_ID_NUMBER]
        if norm and norm in (c.mobile, c.uscc):
            return 1000, [_WHY_MOBILE if norm == c.mobile else _WHY_USCC]
        if _DIGITS.match(norm) and (norm in c.mobile or norm in re.sub(r"\D", "", c.phone)):
            return 600, [_WHY_PHONE]
    if c.name.startswith(raw):
        return 700, [_WHY_NAME]
    if raw in c.name:
        return 500, [_WHY_NAME]
    first, _full = seg.initials(c.name)
    if first and raw.lower() == first:
        return 650, [_WHY_INITIALS]
    return 300, [_WHY_NAME]


def _score_dossier(d: DossierRow, query: _Query) -> _Rank:
    norm = query.norm
    fields = d.fields or {}
    vin = identifiers.normalize(str(fields.get("vin") or ""))
    member = identifiers.normalize(str(fields.get("member_no") or ""))
    unit = str(fields.get("unit") or "")
    if norm and norm == d.archive_number.upper():
        return 1000, [_WHY_ARCHIVE_NUMBER]
    if vin and norm == vin:
        return 950, ["VIN"]
    if member and norm == member:
        return 950, [_WHY_MEMBER_NO]
    if vin and len(norm) >= 6 and vin.endswith(norm):
        return 850, ["VIN"]
    keys = seg.unit_query(query.raw)
    if keys and unit:
        building, entrance = str(fields.get("building") or ""), str(fields.get("entrance") or "")
        have = seg.unit_keys(building, entrance, unit)
        if keys[0] in have:
            return 850, [_WHY_UNIT]
        if set(keys[1:]) & set(have):  # the entrance asked for was never recorded
            return 800, [_WHY_UNIT]
    # A company file (a customer-less type, #23 §8) has no customer name: None.
    if d.customer_name and d.customer_name == query.raw:
        return 700, [_WHY_CUSTOMER_NAME]
    if d.customer_name and query.raw in d.customer_name:
        return 500, [_WHY_CUSTOMER_NAME]
    if query.raw in d.title:
        return 400, [_WHY_DOSSIER_TITLE]
    return 200, []


def _score_document(doc: DocumentRow, query: _Query) -> _Rank:
    if doc.title == query.raw:
        return 900, [_WHY_DOCUMENT_TITLE]
    if query.raw in doc.title:
        return 700, [_WHY_DOCUMENT_TITLE]
    if all(w in doc.title.lower() for w in query.terms.words):
        return 600, [_WHY_DOCUMENT_TITLE]
    if query.raw in doc.text:
        return 400, [_WHY_DOCUMENT_TEXT]
    return 300, [_WHY_DOCUMENT_TEXT]
