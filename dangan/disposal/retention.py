"""When a dossier's retention ends: the type's period (Y 永久, D30 定期30年, D10 定期10年,
or a number of years) counted from the trigger its disposal rule declares (every shipped
type: the effective date of its termination or move-out), or later where an appraisal
extended it."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.archives.models import Dossier, DossierStatusChange
from dangan.core.display import retention_label

CLOSED = (Dossier.Status.TERMINATED, Dossier.Status.MOVED_OUT)
# Moves back into terminated or moved out from these (a kept appraisal, a released hold)
# do not restart the clock: only the termination or the move-out itself does.
RETURNS = (Dossier.Status.APPRAISAL, Dossier.Status.PENDING_DISPOSAL, Dossier.Status.LEGAL_HOLD)


def years_of(code: str) -> int | None:
    """The retention's years; None for permanent (永久)."""
    code = (code or "").strip().upper()
    if code in ("", "Y"):
        return None
    digits = code[1:] if code.startswith("D") else code
    return int(digits) if digits.isdigit() else None


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus whole months, on the month's last day where it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    return day  # pragma: no cover


def backups_until(moment: datetime.datetime) -> datetime.date:
    """When the last backup that may still hold a destroyed item ages out: the kept
    backups (DANGAN_BACKUP_KEEP) times the schedule's interval (weekly by default)."""
    keep = int(getattr(settings, "BACKUP_KEEP", 0) or 8)
    schedule = str(getattr(settings, "BACKUP_SCHEDULE", "weekly") or "weekly")
    interval = 1 if schedule == "daily" else 7
    return timezone.localtime(moment).date() + datetime.timedelta(days=keep * interval)


def with_closed_on(dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """Annotate what `expires_on` reads, so that a list asks once, not per dossier:
    `closed_on`, the effective date of the latest move into terminated or moved out (the
    retention's start for every shipped type), and `extended_until`, the latest date an
    appraisal kept it to."""
    from dangan.disposal.models import Extension

    latest = (
        DossierStatusChange.objects.filter(dossier=OuterRef("pk"), to_status__in=CLOSED)
        .exclude(from_status__in=RETURNS)
        .order_by("-at", "-id")
        .values("effective")[:1]
    )
    extended = (
        Extension.objects.filter(dossier=OuterRef("pk"), document__isnull=True)
        .order_by("-until")
        .values("until")
    )
    return dossiers.annotate(closed_on=Subquery(latest), extended_until=Subquery(extended[:1]))


def triggers() -> dict[int, str]:
    """Each archive type's retention trigger where its disposal rule declares one."""
    from dangan.disposal.models import DisposalRule

    return dict(DisposalRule.objects.values_list("archive_type_id", "trigger"))


def _started(dossier: Any, trigger_of: dict[int, str] | None) -> datetime.date | None:
    from dangan.disposal.models import DisposalRule

    if trigger_of is None:
        trigger_of = dict(
            DisposalRule.objects.filter(archive_type_id=dossier.archive_type_id).values_list(
                "archive_type_id", "trigger"
            )
        )
    if trigger_of.get(dossier.archive_type_id) == DisposalRule.Trigger.FILED:
        filed: datetime.date = timezone.localdate(dossier.created_at)
        return filed
    closed: datetime.date | None
    from dangan.archives.lifecycle import primed_status_changes

    primed = primed_status_changes(dossier)
    if hasattr(dossier, "closed_on"):  # annotated by with_closed_on
        closed = dossier.closed_on
    elif primed is not None:  # the dossier page's (lifecycle.prime_status)
        closed = next(
            (c.effective for c in primed if c.to_status in CLOSED and c.from_status not in RETURNS),
            None,
        )
    else:
        closed = (
            DossierStatusChange.objects.filter(dossier=dossier, to_status__in=CLOSED)
            .exclude(from_status__in=RETURNS)
            .order_by("-at", "-id")
            .values_list("effective", flat=True)
            .first()
        )
    return closed


def expires_on(dossier: Any, *, trigger_of: dict[int, str] | None = None) -> datetime.date | None:
    """The last day the dossier must be kept; None while the clock has not started or
    for permanent dossiers. A list passes `triggers()` and dossiers from `with_closed_on`
    and costs no query per dossier."""
    from dangan.disposal.models import Extension

    years = years_of(dossier.retention or dossier.archive_type.retention)
    if years is None:
        return None
    start = _started(dossier, trigger_of)
    if start is None:
        return None
    end = add_years(start, years)
    extended: datetime.date | None
    if hasattr(dossier, "extended_until"):  # annotated by with_closed_on
        extended = dossier.extended_until
    else:
        extended = (
            Extension.objects.filter(dossier=dossier, document__isnull=True)
            .order_by("-until")
            .values_list("until", flat=True)
            .first()
        )
    return max(end, extended) if extended else end


def describe(dossier: Any) -> str:
    """ "定期30年 · 保管至 2056-03-01", as the dossier page shows it."""
    code = dossier.retention or dossier.archive_type.retention
    label = retention_label(code)
    if years_of(code) is None:
        return label
    end = expires_on(dossier)
    if end is None:
        return _("%(label)s · 自终止或迁出之日起计") % {"label": label}
    return _("%(label)s · 保管至 %(date)s") % {"label": label, "date": end.isoformat()}


# --- documents with a retention of their own ---------------------------------------------
# A checklist item may keep its documents for less (or more) than the dossier: 002 篇3 4.3.5's
# complaint, communication and quality records end three years after they were made, while
# the owner's dossier lives on. Their clock starts at the document's date (文件日期), or its
# filing day where it has none.


def document_code(document: Any) -> str:
    """The document's own retention code; "" when it follows its dossier."""
    item = document.checklist_item
    return str(item.retention) if item is not None and item.retention else ""


def document_started(document: Any) -> datetime.date:
    if document.doc_date is not None:
        started: datetime.date = document.doc_date
        return started
    filed: datetime.date = timezone.localdate(document.created_at)
    return filed


def with_document_extension(documents: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate `extended_until`, the latest date an appraisal kept each document to."""
    from dangan.disposal.models import Extension

    extended = Extension.objects.filter(document=OuterRef("pk")).order_by("-until").values("until")
    annotated: QuerySet[Any] = documents.annotate(extended_until=Subquery(extended[:1]))
    return annotated


def document_expires_on(document: Any) -> datetime.date | None:
    """The last day a document with its own retention must be kept; None when it follows
    its dossier or is kept permanently."""
    from dangan.disposal.models import Extension

    years = years_of(document_code(document)) if document_code(document) else None
    if years is None:
        return None
    end = add_years(document_started(document), years)
    extended: datetime.date | None
    if hasattr(document, "extended_until"):  # annotated by with_document_extension
        extended = document.extended_until
    else:
        extended = (
            Extension.objects.filter(document=document)
            .order_by("-until")
            .values_list("until", flat=True)
            .first()
        )
    return max(end, extended) if extended else end


def describe_document(document: Any) -> str:
    """ "单独保管 定期3年 · 保管至 2029-05-01"; "" when the document follows its dossier."""
    code = document_code(document)
    if not code:
        return ""
    label = retention_label(code)
    end = document_expires_on(document)
    if end is None:
        return _("单独保管 %(label)s") % {"label": label}
    return _("单独保管 %(label)s · 保管至 %(date)s") % {"label": label, "date": end.isoformat()}
