"""Lists and search results as Excel workbooks. Rows come from the policy-filtered
querysets of the lists and of the search themselves, identity numbers and phones appear
as the policy shows them, and every export is in the audit trail ("export", with its
filters or query and row count)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO, Any

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import selectors as archive_selectors
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, filters_detail
from dangan.core import xlsx
from dangan.core.display import retention_label
from dangan.core.errors import ApplicationError
from dangan.customers import selectors as customer_selectors
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.search import selectors as search_selectors

XLSX_TYPE = xlsx.XLSX_TYPE
MAX_ROWS = xlsx.MAX_ROWS
# Per kind: a search export is a working list, not a way round the list exports' scope.
SEARCH_MAX_ROWS = 10_000


def _workbook(title: str, headers: list[str], rows: Iterable[list[Any]]) -> tuple[IO[bytes], int]:
    out, counts = xlsx.workbook_file([xlsx.Sheet(title, headers, rows)], max_rows=MAX_ROWS)
    return out, counts[0]


Columns = tuple[list[str], Callable[[Any], list[Any]]]


def _customer_columns(actor: User) -> Columns:
    """Headers and row of a customer: fewer columns for a field-limited role, identity
    numbers and phones masked unless the actor may see them (as on the pages)."""
    limited = policy.customer_fields_for(actor) is not None
    headers = [_("客户编号"), _("名称"), _("类型")]
    if not limited:
        headers += [
            _("证件类型"),
            _("证件号/信用代码"),
            _("手机"),
            _("等级"),
            _("阶段"),
            _("客户经理"),
            _("部门"),
            _("档案"),
            _("建档日期"),
        ]

    def row(c: Customer) -> list[Any]:
        values: list[Any] = [c.pk, c.name, c.get_kind_display()]
        if limited:
            return values
        identity = c.uscc if c.kind == Customer.Kind.ORGANIZATION else ""
        if c.id_number_encrypted:
            identity = policy.shown_id_number(actor, c)
        return [
            *values,
            c.get_id_type_display() if c.id_type else "",
            identity,
            policy.shown_mobile(actor, c.mobile),
            c.get_tier_display() if c.tier else "",
            c.get_stage_display() if c.stage else "",
            str(c.owner),
            str(c.department or ""),
            getattr(c, "dossier_count", 0),
            timezone.localtime(c.created_at).date().isoformat(),
        ]

    return headers, row


def customers_xlsx(*, actor: User, filters: dict[str, Any]) -> tuple[IO[bytes], int]:
    policy.require(actor, perms.DATA_EXPORT)
    policy.require(actor, perms.CUSTOMER_VIEW)
    listed = customer_selectors.customer_list(actor, filters=filters)
    customers = customer_selectors.with_dossier_count(actor, listed).prefetch_related(
        "owner", "department"
    )
    headers, row = _customer_columns(actor)
    return _export(actor, "customer", _("客户"), headers, customers.iterator(2000), row, filters)


def _dossier_columns(actor: User) -> Columns:
    headers = [
        _("档号"),
        _("题名"),
        _("客户"),
        _("档案类型"),
        _("年度"),
        _("状态"),
        _("密级"),
        _("保管期限"),
    ]
    # Where the paper is (issue 25): the five parts as the API names them.
    headers += [_("库房"), _("柜"), _("架/层"), _("盒"), _("位置")]

    def row(d: Dossier) -> list[Any]:
        return [
            d.archive_number,
            d.title,
            d.customer.name if d.customer else (d.department.name if d.department else ""),
            d.archive_type.name,
            d.volume_year,
            d.get_status_display(),
            d.get_confidentiality_display(),
            retention_label(d.retention),
            *(getattr(d, name) for name in Dossier.LOCATION_FIELDS),
        ]

    return headers, row


def dossiers_xlsx(*, actor: User, filters: dict[str, Any]) -> tuple[IO[bytes], int]:
    policy.require(actor, perms.DATA_EXPORT)
    policy.require(actor, perms.DOSSIER_VIEW)
    dossiers = archive_selectors.dossier_list(actor, filters=filters)
    headers, row = _dossier_columns(actor)
    return _export(actor, "dossier", _("档案"), headers, dossiers.iterator(2000), row, filters)


def _document_columns(actor: User) -> Columns:
    headers = [_("档号"), _("件号"), _("题名"), _("责任者"), _("文件日期"), _("页数")]

    def row(doc: Document) -> list[Any]:
        return [
            doc.dossier.archive_number,
            doc.piece_number,
            doc.title,
            doc.responsible,
            doc.doc_date.isoformat() if doc.doc_date else "",
            doc.pages,
        ]

    return headers, row


_SEARCH_COLUMNS: dict[str, Callable[[User], Columns]] = {
    "customer": _customer_columns,
    "dossier": _dossier_columns,
    "document": _document_columns,
}


def search_xlsx(*, actor: User, raw: str, filters: dict[str, Any]) -> tuple[IO[bytes], int]:
    """Every match of a search the actor may see, not only the page shown: one sheet per
    kind (客户/档案/文件), exact hits first, then the newest, at most SEARCH_MAX_ROWS a
    sheet (a last row says how many were left out). The matches are those of the result
    page (search.selectors.find), masked as the lists show them; audited with the query."""
    policy.require(actor, perms.DATA_EXPORT)
    policy.require_any(actor, perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW)
    found = search_selectors.find(actor, raw, filters)
    if found.query is None:
        raise ApplicationError(found.error, field="q")
    sheets: list[xlsx.Sheet] = []
    cut: dict[str, int] = {}
    for matches in found.kinds:
        total = matches.queryset.count()
        exact_first = Case(
            When(matches.exact, then=Value(0)), default=1, output_field=IntegerField()
        )
        qs = matches.queryset.annotate(exact_first=exact_first).order_by("exact_first", "-pk")
        if matches.kind == "customer":
            qs = customer_selectors.with_dossier_count(
                actor, qs.select_related("owner", "department")
            )
        note = ""
        if total > SEARCH_MAX_ROWS:
            cut[matches.kind] = total
            note = _("仅导出前 %(limit)s 条(共 %(total)s 条),请补充关键词或使用筛选") % {
                "limit": SEARCH_MAX_ROWS,
                "total": total,
            }
        headers, row = _SEARCH_COLUMNS[matches.kind](actor)
        rows = map(row, qs[:SEARCH_MAX_ROWS].iterator(2000))  # written after the loop
        sheets.append(xlsx.Sheet(matches.label, headers, rows, note))
    out, counts = xlsx.workbook_file(sheets, max_rows=MAX_ROWS)
    detail: dict[str, Any] = {
        "format": "xlsx",
        "q": found.query.raw,
        "rows": sum(counts),
        "sheets": {m.kind: n for m, n in zip(found.kinds, counts, strict=True)},
        "filters": filters_detail(found.filters),
    }
    if cut:
        detail["matches"] = cut  # more matches than exported
    audit_record(actor=actor, action="export", object_type="search", detail=detail)
    return out, sum(counts)


def _export(
    actor: User,
    object_type: str,
    title: str,
    headers: list[str],
    objects: Iterable[Any],
    row: Callable[[Any], list[Any]],
    filters: dict[str, Any],
) -> tuple[IO[bytes], int]:
    out, count = _workbook(title, headers, (row(obj) for obj in objects))
    audit_record(
        actor=actor,
        action="export",
        object_type=object_type,
        detail={"format": "xlsx", "rows": count, "filters": filters_detail(filters)},
    )
    return out, count
