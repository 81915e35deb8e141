"""Paper copies of customer data issued, recalled, returned and destroyed (issue 27 §7;
seed 002 篇4 管理程序4、5: lists printed for a lecture are returned before the next one or
within a week, then destroyed). The archive room (circulation.lend) issues and takes back;
the holder sees what they hold. Every move is audited in its transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import numbering
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation.services import notify
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.paper.models import PaperCopy

NUMBERING = "{code}-{year}-{seq:4}"
CODE = "FF"  # 发放
DEFAULT_DAYS = 7  # seed 002 篇4: returned within a week
MAX_DAYS = 30
NOT_FOUND = _("记录不存在或您无权查看")


def may_manage(actor: Any) -> bool:
    return policy.has_perm(actor, perms.CIRCULATION_LEND)


def copies_for(actor: Any) -> QuerySet[PaperCopy]:
    """The archive room sees every copy; anyone else the copies issued to them."""
    copies = PaperCopy.objects.select_related("issued_to", "issued_by")
    if may_manage(actor) or policy.has_perm(actor, perms.CIRCULATION_MANAGE):
        return copies
    return copies.filter(issued_to_id=actor.pk)


def overdue(copies: QuerySet[PaperCopy]) -> QuerySet[PaperCopy]:
    """Still out after their return date."""
    return copies.filter(
        status__in=(PaperCopy.Status.ISSUED, PaperCopy.Status.RECALLED), due_at__lt=timezone.now()
    )


def access_copy(actor: Any, pk: Any) -> PaperCopy:
    try:
        return copies_for(actor).get(pk=int(pk))
    except (PaperCopy.DoesNotExist, TypeError, ValueError):
        raise NotFound(NOT_FOUND) from None


def _text(value: Any, field: str, what: Any, limit: int, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ApplicationError(_("包含不允许的控制字符"), field=field)
    if required and not text:
        raise ApplicationError(_("请填写%(w)s") % {"w": what}, field=field)
    if len(text) > limit:
        raise ApplicationError(_("%(w)s过长(最多%(n)s字)") % {"w": what, "n": limit}, field=field)
    return text


def _due(value: Any, now: datetime.datetime) -> datetime.datetime:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        # A date: returned by the end of that day.
        value = datetime.datetime.combine(value, datetime.time(23, 59, 59))
    if not isinstance(value, datetime.datetime):
        raise ApplicationError(_("请填写有效的归还日期"), field="due")
    moment: datetime.datetime = value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    value = moment
    if value <= now:
        raise ApplicationError(_("归还日期须晚于当前时间"), field="due")
    if value - now > datetime.timedelta(days=MAX_DAYS):
        raise ApplicationError(_("归还期限最长 %(n)s 天") % {"n": MAX_DAYS}, field="due")
    return moment


def default_due() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=DEFAULT_DAYS)


@refusals_audited("copy_issue", "issued_to")
@transaction.atomic
def paper_copy_issue(
    *,
    actor: User,
    title: str,
    purpose: str,
    copies: Any,
    issued_to: Any,
    due: Any,
    dossier_ids: Iterable[Any] = (),
) -> PaperCopy:
    """Hand out `copies` printed copies of `title` to a colleague, to come back by `due`
    (a date: its end). The dossiers whose data it holds must be ones the issuer may see."""
    policy.require(actor, perms.CIRCULATION_LEND)
    now = timezone.now()
    title = _text(title, "title", _("资料名称"), 200)
    purpose = _text(purpose, "purpose", _("用途"), 500)
    try:
        count = int(copies)
    except (TypeError, ValueError):
        raise ApplicationError(_("份数应为1到100之间的整数"), field="copies") from None
    if not 1 <= count <= 100:
        raise ApplicationError(_("份数应为1到100之间的整数"), field="copies")
    holder = issued_to if isinstance(issued_to, User) else None
    if holder is None:
        try:
            holder = User.objects.get(pk=int(issued_to), is_active=True)
        except (User.DoesNotExist, TypeError, ValueError):
            raise ApplicationError(_("领取人不存在"), field="issued_to") from None
    if not holder.is_active:
        raise ApplicationError(_("领取人不存在"), field="issued_to")
    until = _due(due, now)
    try:
        wanted = {int(pk) for pk in dossier_ids}
    except (TypeError, ValueError):
        raise ApplicationError(_("应为有效的编号"), field="dossiers") from None
    dossiers = list(policy.dossiers_for(actor).filter(pk__in=wanted))
    if len(dossiers) != len(wanted):
        raise ApplicationError(_("档案不存在或您无权查看"), field="dossiers")
    number = numbering.allocate(
        NUMBERING, numbering.NumberContext(code=CODE, date=timezone.localdate())
    )
    copy = PaperCopy.objects.create(
        number=number,
        title=title,
        purpose=purpose,
        copies=count,
        issued_to=holder,
        issued_by=actor,
        issued_at=now,
        due_at=until,
    )
    copy.dossiers.set(dossiers)
    audit_record(
        actor=actor,
        action="copy_issue",
        obj=copy,
        detail={
            "title": title,
            "copies": count,
            "to": holder.username,
            "due": until.isoformat(),
            "dossiers": sorted(d.archive_number for d in dossiers),
        },
    )
    notify(
        user=holder,
        text=gettext("您领取了纸质资料 %(n)s “%(t)s” %(c)s 份,请于 %(d)s 前交回档案室")
        % {"n": number, "t": title, "c": count, "d": timezone.localtime(until).date()},
        link=f"/copies/{copy.pk}/",
    )
    return copy


def _locked(actor: User, copy: PaperCopy, to: str) -> PaperCopy:
    policy.require(actor, perms.CIRCULATION_LEND)
    locked = PaperCopy.objects.select_for_update().get(pk=copy.pk)
    if not locked.can_move_to(to):
        raise InvalidTransition(
            _("“%(s)s”的资料不能%(a)s")
            % {"s": locked.get_status_display(), "a": PaperCopy.Status(to).label},
            field="status",
            allowed=sorted(locked.TRANSITIONS.get(locked.status, frozenset())),
        )
    return locked


@refusals_audited("copy_recall", "copy")
@transaction.atomic
def paper_copy_recall(*, actor: User, copy: PaperCopy, note: str = "") -> PaperCopy:
    """Ask the holder to bring the copies back now (催还), e.g. before the next lecture."""
    copy = _locked(actor, copy, PaperCopy.Status.RECALLED)
    copy.status = PaperCopy.Status.RECALLED
    copy.recalled_at = timezone.now()
    copy.recall_note = _text(note, "note", _("催还说明"), 500, required=False)
    copy.save(update_fields=["status", "recalled_at", "recall_note"])
    audit_record(actor=actor, action="copy_recall", obj=copy, detail={"note": copy.recall_note})
    notify(
        user=copy.issued_to,
        text=gettext("请立即交回纸质资料 %(n)s “%(t)s” %(c)s 份%(note)s")
        % {
            "n": copy.number,
            "t": copy.title,
            "c": copy.copies,
            "note": f":{copy.recall_note}" if copy.recall_note else "",
        },
        link=f"/copies/{copy.pk}/",
    )
    return copy


@refusals_audited("copy_return", "copy")
@transaction.atomic
def paper_copy_return(
    *, actor: User, copy: PaperCopy, returned_copies: Any, note: str = ""
) -> PaperCopy:
    """The archive room takes the copies back; fewer than issued needs a note (lost, …)."""
    copy = _locked(actor, copy, PaperCopy.Status.RETURNED)
    try:
        count = int(returned_copies)
    except (TypeError, ValueError):
        raise ApplicationError(_("请填写收回份数"), field="returned_copies") from None
    if not 0 <= count <= copy.copies:
        raise ApplicationError(
            _("收回份数应在0到%(n)s之间") % {"n": copy.copies}, field="returned_copies"
        )
    note = _text(note, "note", _("收回说明"), 500, required=count < copy.copies)
    now = timezone.now()
    copy.status = PaperCopy.Status.RETURNED
    copy.returned_at = now
    copy.returned_copies = count
    copy.return_note = note
    copy.received_by = actor
    copy.save(
        update_fields=["status", "returned_at", "returned_copies", "return_note", "received_by"]
    )
    audit_record(
        actor=actor,
        action="copy_return",
        obj=copy,
        detail={"copies": count, "of": copy.copies, "late": now > copy.due_at, "note": note},
    )
    return copy


@refusals_audited("copy_destroy", "copy")
@transaction.atomic
def paper_copy_destroy(
    *, actor: User, copy: PaperCopy, method: str, witness: str = ""
) -> PaperCopy:
    """Record that the returned copies were destroyed (seed 002: once the data is updated)."""
    copy = _locked(actor, copy, PaperCopy.Status.DESTROYED)
    copy.destruction_method = _text(method, "method", _("销毁方式"), 100)
    copy.destruction_witness = _text(witness, "witness", _("监销人"), 64, required=False)
    copy.status = PaperCopy.Status.DESTROYED
    copy.destroyed_at = timezone.now()
    copy.destroyed_by = actor
    copy.save(
        update_fields=[
            "status",
            "destroyed_at",
            "destroyed_by",
            "destruction_method",
            "destruction_witness",
        ]
    )
    audit_record(
        actor=actor,
        action="copy_destroy",
        obj=copy,
        detail={
            "copies": copy.returned_copies,
            "method": copy.destruction_method,
            "witness": copy.destruction_witness,
        },
    )
    return copy


def overdue_notify(*, today: datetime.date | None = None) -> int:
    """Once a day: each holder of a copy past its return date is asked to bring it back,
    and the archive room hears how many are out late (seed 002 篇4: returned within a
    week). The worker runs it with the other daily reminders."""
    from django.urls import reverse

    today = today or timezone.localdate()
    late = list(overdue(PaperCopy.objects.select_related("issued_to")).order_by("due_at"))
    if not late:
        return 0
    sent = 0
    for copy in late:
        made = notify(
            user=copy.issued_to,
            text=gettext("纸质资料 %(n)s《%(t)s》应于 %(d)s 交回,已逾期,请尽快交回档案室")
            % {
                "n": copy.number,
                "t": copy.title,
                "d": timezone.localtime(copy.due_at).strftime("%Y-%m-%d %H:%M"),
            },
            link=reverse("copies:detail", args=[copy.pk]),
            key=f"paper-copy-late:{copy.pk}:{today.isoformat()}",
        )
        sent += made is not None
    for user in User.objects.filter(is_active=True, roles__permissions__isnull=False).distinct():
        if not may_manage(user):
            continue
        made = notify(
            user=user,
            text=gettext("有 %(n)s 份纸质资料逾期未还") % {"n": len(late)},
            link=reverse("copies:list") + "?show=overdue",
            key=f"paper-copies-late:{user.pk}:{today.isoformat()}",
        )
        sent += made is not None
    return sent
