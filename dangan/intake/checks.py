"""The rule checks (稽核) as pure functions: a dossier in, a list of issues out.
Services turn issues into findings (open new ones, close the ones no longer raised)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from dangan.archives.checklist import Checklist, ChecklistRow, dossier_checklist
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.core import identifiers
from dangan.core.errors import ApplicationError
from dangan.documents.models import Document
from dangan.intake import deadlines
from dangan.intake.calendar import Calendar
from dangan.intake.models import DocumentCheck, Finding
from dangan.rules.schema import CUSTOMER_NAME as schema_customer_name
from dangan.rules.schema import ConsistencyRule, parse_consistency, parse_fields

# Values compared by consistency rules that are not custom fields of the dossier.
CUSTOMER_NAME = schema_customer_name


@dataclass(frozen=True)
class Issue:
    key: str
    kind: str
    rule: str
    detail: str = ""
    document: Document | None = None
    checklist_item: ChecklistItem | None = None
    # Set for a lateness that is already over (the bag came, but late): the finding is
    # recorded as fixed on that day.
    resolved_on: datetime.date | None = None


def _normal(value: Any) -> str:
    return identifiers.normalize(str(value)).replace(" ", "").upper()


def completeness_issue(row: ChecklistRow) -> Issue:
    """The issue of one missing checklist row."""
    return Issue(
        key=f"missing:{row.item.code}",
        kind=Finding.Kind.MISSING,
        rule=_("清单必备文件:%(name)s") % {"name": row.item.name},
        detail=_("缺少“%(name)s”") % {"name": row.item.name},
        checklist_item=row.item,
    )


def completeness(checklist: Checklist) -> list[Issue]:
    return [
        completeness_issue(row)
        for row in checklist.missing_rows
        if not row.signing  # handed in, waiting for its sign-off: the signers' time
    ]


def _checks_of(checklist: Checklist) -> dict[int, DocumentCheck]:
    ids = [doc.pk for row in checklist.rows for doc in row.documents]
    return {c.document_id: c for c in DocumentCheck.objects.filter(document_id__in=ids)}


def _valid(row_documents: list[Document]) -> list[Document]:
    return [doc for doc in row_documents if doc.state == Document.State.VALID]


def expected_value(dossier: Dossier, field: str) -> str:
    if field == CUSTOMER_NAME:
        return str(dossier.customer.name or "") if dossier.customer else ""
    return str((dossier.fields or {}).get(field) or "")


def typed_consistency(archive_type: ArchiveType, codes: set[str]) -> tuple[ConsistencyRule, ...]:
    """The type's consistency rules read through the one schema; a stored rule it refuses
    is an error naming the type (a check that cannot be run is not a check passed)."""
    try:
        return parse_consistency(archive_type.consistency, parse_fields(archive_type.fields), codes)
    except ApplicationError as exc:
        raise ApplicationError(
            _("档案类型“%(t)s”的一致性规则无效:%(e)s") % {"t": archive_type.name, "e": exc.message},
            field="consistency",
        ) from None


def consistency(
    dossier: Dossier, checklist: Checklist, checks: dict[int, DocumentCheck]
) -> list[Issue]:
    """Each rule: the field's value on every listed document equals the bag's front
    (the dossier's field, or the customer's name). A document without the value recorded
    is not compared."""
    issues = []
    rows = {row.item.code: row for row in checklist.rows}
    labels = {s.get("key"): s.get("label") for s in dossier.archive_type.field_schema()}
    for rule in typed_consistency(dossier.archive_type, set(rows)):
        field = rule.field
        codes = list(rule.documents)
        field_label = str(labels.get(field) or (_("客户姓名") if field == CUSTOMER_NAME else field))
        seen: list[tuple[Document, ChecklistItem, str]] = []
        for code in codes:
            row = rows.get(code)
            if row is None or not row.applicable:
                continue
            for doc in _valid(row.documents):
                check = checks.get(doc.pk)
                value = (check.values or {}).get(field) if check else None
                if value not in (None, ""):
                    seen.append((doc, row.item, str(value)))
        front = expected_value(dossier, field)
        reference = _normal(front) if front else (_normal(seen[0][2]) if seen else "")
        wrong = [entry for entry in seen if _normal(entry[2]) != reference]
        if not wrong:
            continue
        parts = [_("档案袋正面:%(v)s") % {"v": front}] if front else []
        parts += [f"{item.name}:{value}" for _doc, item, value in seen]
        issues.append(
            Issue(
                key=f"inconsistent:{field}",
                kind=Finding.Kind.INCONSISTENT,
                rule=str(rule.label or _("%(f)s须一致") % {"f": field_label})[:300],
                detail=_("%(f)s不一致 — %(parts)s") % {"f": field_label, "parts": ";".join(parts)},
                document=wrong[0][0],
                checklist_item=wrong[0][1],
            )
        )
    return issues


def marks(checklist: Checklist, checks: dict[int, DocumentCheck]) -> list[Issue]:
    """Stamps, signatures and copies the checklist asks for, as recorded per document."""
    issues = []
    for row in checklist.rows:
        item = row.item
        for doc in _valid(row.documents):
            check = checks.get(doc.pk)
            if check is None:
                continue
            where = f"{item.name}(第{doc.piece_number}件)"
            if item.needs_stamp and check.stamped is False:
                issues.append(
                    Issue(
                        f"no_stamp:{doc.pk}",
                        Finding.Kind.NO_STAMP,
                        _("%(name)s须加盖公司印章") % {"name": item.name},
                        _("%(w)s未盖章") % {"w": where},
                        doc,
                        item,
                    )
                )
            if item.needs_signature and check.signed is False:
                issues.append(
                    Issue(
                        f"no_signature:{doc.pk}",
                        Finding.Kind.NO_SIGNATURE,
                        _("%(name)s须有客户签字") % {"name": item.name},
                        _("%(w)s无客户签字") % {"w": where},
                        doc,
                        item,
                    )
                )
            if check.copies is not None and check.copies < item.copies:
                issues.append(
                    Issue(
                        f"copies:{doc.pk}",
                        Finding.Kind.MISSING,
                        _("%(name)s须%(n)s份") % {"name": item.name, "n": item.copies},
                        _("%(w)s仅%(c)s份") % {"w": where, "c": check.copies},
                        doc,
                        item,
                    )
                )
    return issues


def lateness(result: deadlines.DeadlineResult) -> list[Issue]:
    if result.state != deadlines.OVERDUE or result.due is None:
        return []
    due = result.due_date
    if result.submitted is not None:
        detail = _("期限 %(due)s,%(sub)s 才交齐") % {"due": due, "sub": result.submitted}
    else:
        detail = _("期限 %(due)s,至今未交齐") % {"due": due}
    return [
        Issue(
            "late",
            Finding.Kind.LATE,
            _("移交期限:%(rule)s") % {"rule": result.note},
            detail,
            resolved_on=result.submitted,
        )
    ]


def dossier_issues(
    dossier: Dossier, *, cal: Calendar | None = None, today: datetime.date | None = None
) -> tuple[list[Issue], deadlines.DeadlineResult]:
    checklist = dossier_checklist(dossier)
    checks = _checks_of(checklist)
    result = deadlines.dossier_deadline(dossier, checklist=checklist, cal=cal, today=today)
    issues = [
        *completeness(checklist),
        *consistency(dossier, checklist, checks),
        *marks(checklist, checks),
        *lateness(result),
    ]
    return issues, result
