"""The dossier's life as one transition table (DossierTransition rows, seeded by archives
migration 0005) and one service that moves a dossier along it (issue 23 §1).

Every change of a dossier's status goes through dossier_transition: the page and the API
(channel "manual"), the loan desk (channel "loan": lending and returning) and the
appraisal and disposal workflow (channel "disposal"). Each move is a DossierStatusChange
row (from, to, reason, effective date, who, when) and an audit entry, in the transaction
of the move.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import keys
from dangan.archives.models import ArchiveType, Dossier, DossierStatusChange, DossierTransition
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.search import services as search_services

Channel = DossierTransition.Channel
REASON_MAX = 500


def status_label(archive_type: ArchiveType | None, status: str) -> str:
    """The state's name as this archive type's trade says it (迁出 → 退房 for a hotel)."""
    labels = (archive_type.status_labels if archive_type is not None else None) or {}
    if labels.get(status):
        return str(labels[status])
    try:
        return str(Dossier.Status(status).label)
    except ValueError:
        return status


def _prior_status(dossier: Dossier) -> str:
    """The state the dossier was in before its current one (where a legal hold returns)."""
    primed = primed_status_changes(dossier)
    if primed is not None:
        return next(
            (c.from_status for c in primed if c.to_status == dossier.status),
            Dossier.Status.FILED,
        )
    entered = (
        DossierStatusChange.objects.filter(dossier=dossier, to_status=dossier.status)
        .order_by("-at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )
    return entered or Dossier.Status.FILED


def transitions_from(dossier: Dossier, *, channel: str | None = None) -> list[DossierTransition]:
    """The table's active moves out of the dossier's current state (on one channel)."""
    rows = DossierTransition.objects.filter(from_status=dossier.status, is_active=True)
    if channel is not None:
        rows = rows.filter(channel=channel)
    found = list(rows.order_by("id"))
    if any(row.to_prior for row in found):
        prior = _prior_status(dossier)
        found = [row for row in found if not row.to_prior or row.to_status == prior]
    return found


@dataclass(frozen=True)
class NextState:
    status: str
    label: str  # the action (终止, 冻结 …)
    status_label: str  # the state it leads to, as the type names it


def allowed_next(actor: Any, dossier: Dossier) -> list[NextState]:
    """The moves the actor may make from here by hand (the dossier page's actions)."""
    return [
        NextState(row.to_status, row.label, status_label(dossier.archive_type, row.to_status))
        for row in transitions_from(dossier, channel=Channel.MANUAL)
        if policy.has_perm(actor, row.permission)
    ]


def _manual_permissions() -> set[str]:
    return set(
        DossierTransition.objects.filter(channel=Channel.MANUAL, is_active=True).values_list(
            "permission", flat=True
        )
    )


def _refuse(dossier: Dossier, rows: list[DossierTransition], to: str) -> InvalidTransition:
    allowed = [row.to_status for row in rows]
    names = "、".join(status_label(dossier.archive_type, s) for s in allowed) or str(_("无"))
    message = _("档案当前为“%(from)s”,不能转为“%(to)s”;可转为:%(allowed)s") % {
        "from": status_label(dossier.archive_type, dossier.status),
        "to": status_label(dossier.archive_type, to),
        "allowed": names,
    }
    return InvalidTransition(message, field="to", allowed=allowed)


def _clean_effective(dossier: Dossier, effective: Any) -> datetime.date:
    today = timezone.localdate()
    if effective in (None, ""):
        return today
    if isinstance(effective, datetime.datetime):
        effective = effective.date()
    if isinstance(effective, str):
        try:
            effective = datetime.date.fromisoformat(effective.strip())
        except ValueError:
            raise ApplicationError(_("生效日期格式应为 YYYY-MM-DD"), field="effective") from None
    if not isinstance(effective, datetime.date):
        raise ApplicationError(_("生效日期格式应为 YYYY-MM-DD"), field="effective")
    if effective > today:
        raise ApplicationError(_("生效日期不能晚于今天"), field="effective")
    last = dossier.status_changes.order_by("-at", "-id").values_list("effective", flat=True).first()
    if last is not None and effective < last:
        raise ApplicationError(
            _("生效日期不能早于上一次状态变更的生效日期(%(date)s)") % {"date": last},
            field="effective",
        )
    return effective


def clean_reason(text: str | None) -> str:
    """A reason for a move of a dossier (or of all a customer's, as a legal hold): required,
    at most REASON_MAX characters; a field-named error otherwise."""
    reason = (text or "").strip()
    if not reason:
        raise ApplicationError(_("请填写原因"), field="reason")
    if len(reason) > REASON_MAX:
        raise ApplicationError(_("原因最多500字"), field="reason")
    return reason


@refusals_audited("transition", "dossier")
@transaction.atomic
def dossier_transition(
    *,
    actor: User,
    dossier: Dossier,
    to: str,
    reason: str,
    effective: datetime.date | str | None = None,
    channel: str = Channel.MANUAL,
) -> Dossier:
    """Move the dossier to `to` as the transition table allows from its current state on
    `channel`, with a reason and the date the move took effect (today when not given; any
    past date for records brought over from paper, never a future one).

    A person's move (manual) needs sight of the dossier and the row's permission; the loan
    desk and the disposal workflow have authorized their own action and pass their channel,
    and the row's permission is still required. Refused: InvalidTransition (409) naming the
    states the table allows next."""
    if channel == Channel.MANUAL:
        dossier = policy.access_dossier(actor, dossier.pk)
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("archive_type")
        .get(pk=dossier.pk)
    )
    rows = transitions_from(dossier, channel=channel)
    row = next((r for r in rows if r.to_status == to), None)
    if row is None:
        if channel == Channel.MANUAL and not _manual_permissions() & policy.permissions_of(actor):
            # Someone who may move no dossier learns nothing about this one's states.
            raise Forbidden(_("您没有登记档案状态的权限"))
        raise _refuse(dossier, rows, to)
    policy.require(actor, row.permission)
    reason = clean_reason(reason)
    when = _clean_effective(dossier, effective)
    previous = dossier.status
    dossier.status = to
    dossier.save(update_fields=["status", "updated_at"])
    if to == Dossier.Status.DESTROYED:
        keys.release(dossier)  # the VIN or unit may be filed again
    DossierStatusChange.objects.create(
        dossier=dossier,
        from_status=previous,
        to_status=to,
        channel=channel,
        reason=reason,
        effective=when,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="transition",
        obj=dossier,
        detail={
            "from": previous,
            "to": to,
            "reason": reason,
            "effective": when.isoformat(),
            "channel": channel,
        },
    )
    # The search filters by status: the index learns the new one after the commit.
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    return dossier


# --- reads -----------------------------------------------------------------------------


def status_history(dossier: Dossier) -> list[DossierStatusChange]:
    """The dossier's status moves, newest first, with who made them (状态记录)."""
    primed = primed_status_changes(dossier)
    if primed is not None:
        return list(primed)
    return list(dossier.status_changes.select_related("actor").order_by("-at", "-id"))


def status_since(dossier: Dossier) -> datetime.date:
    """The date the current status took effect: that of the last move, else the filing."""
    primed = primed_status_changes(dossier)
    if primed is not None:
        last = primed[0].effective if primed else None
    else:
        last = (
            dossier.status_changes.order_by("-at", "-id")
            .values_list("effective", flat=True)
            .first()
        )
    return last or timezone.localdate(dossier.created_at)


def prime_status(dossier: Dossier) -> Dossier:
    """Read the dossier's status moves once, for a page that shows them four ways (the
    status card and its date, the change history, the retention clock): status_history,
    status_since, the prior status and retention's start then read this list (the
    dossier page sent four statements for it). Call it on the instance a page renders,
    after any change to it; the moves are few (people make them one at a time)."""
    dossier._status_changes = list(  # type: ignore[attr-defined]
        dossier.status_changes.select_related("actor").order_by("-at", "-id")
    )
    return dossier


def primed_status_changes(dossier: Any) -> list[DossierStatusChange] | None:
    """What prime_status() read, newest first; None when it was not called."""
    primed: list[DossierStatusChange] | None = getattr(dossier, "_status_changes", None)
    return primed
