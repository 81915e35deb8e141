"""What waits for each person today (SPEC C9, issue 26): one list of kinds of work, each
with a count, a link and its first items. Every kind asks the policy layer (or the
selectors that do) for what the person may see, so no count includes another scope's
records. A kind the person's roles cannot act on is left out, not shown as zero."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User

SHOWN = 5  # items listed under each kind; the count says how many there are
WINDOW_DAYS = 62  # intake deadlines are looked for among dossiers this recent
BACKUP_STALE_DAYS = 8  # the weekly schedule's interval and a day's grace


@dataclass
class Item:
    title: str
    link: str
    when: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "link": self.link, "when": self.when, "note": self.note}


@dataclass
class Work:
    kind: str
    label: Any  # a lazily translated name
    count: int
    link: str
    urgent: bool = False
    items: list[Item] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": str(self.label),
            "count": self.count,
            "link": self.link,
            "urgent": self.urgent,
            "items": [item.as_dict() for item in self.items],
        }


def _date(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _intake(actor: User, today: datetime.date) -> Iterable[Work]:
    """Bags (dossiers) whose filing deadline is today, and those past it."""
    from dangan.archives.models import Dossier
    from dangan.intake import deadlines
    from dangan.intake.calendar import Calendar

    if not policy.has_perm(actor, perms.DOSSIER_VIEW):
        return []
    scope = policy.dossiers_for(actor).filter(
        created_at__date__gte=today - datetime.timedelta(days=WINDOW_DAYS),
        status=Dossier.Status.FILED,
    )
    if _own_only(actor):
        scope = scope.filter(customer__owner=actor)
    dossiers = (
        scope.exclude(archive_type__deadline={})
        .select_related("customer")
        .order_by("created_at")[:2000]
    )
    cal = Calendar()
    due_today: list[Item] = []
    late: list[Item] = []
    for dossier in deadlines.prime(list(dossiers)):
        result = deadlines.dossier_deadline(dossier, cal=cal, today=today)
        if result.submitted is not None or result.due_date is None:
            continue
        item = Item(
            f"{dossier.archive_number} {dossier.customer.name if dossier.customer else ''}",
            reverse("archives:dossier", kwargs={"pk": dossier.pk}),
            _date(result.due_date),
        )
        if result.due_date == today:
            due_today.append(item)
        elif result.due_date < today:
            late.append(item)
    overdue_link = reverse("intake:overdue")
    return [
        Work(
            "intake_due_today",
            _("今天到期的档案袋"),
            len(due_today),
            overdue_link,
            False,
            due_today,
        ),
        Work("intake_overdue", _("超期未交的档案袋"), len(late), overdue_link, True, late),
    ]


def _own_only(actor: User) -> bool:
    """Account managers see their own customers: their bags are their work. Wider roles
    (department, all) see the whole scope's bags."""
    return policy.data_scope(actor) == "own"


def _handovers(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.handover.models import Handover
    from dangan.handover.selectors import handovers_for

    if not policy.has_perm(actor, perms.HANDOVER_RECEIVE):
        return []
    mine = Q(to_user=actor)
    if actor.department_id is not None:
        mine |= Q(to_user__isnull=True, to_department_id=actor.department_id)
    waiting = (
        handovers_for(actor)
        .filter(mine, status__in=[Handover.Status.DRAFT, Handover.Status.VERIFYING])
        .exclude(from_user=actor)
        .order_by("created_at")
    )
    items = [
        Item(
            f"{h.number} {h.from_user}",
            reverse("handover:detail", kwargs={"pk": h.pk}),
            _date(h.created_at),
        )
        for h in waiting[:SHOWN]
    ]
    link = reverse("handover:list") + "?box=open"
    return [Work("handovers_to_receive", _("待接收的移交"), waiting.count(), link, False, items)]


def _findings(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.intake.models import Finding
    from dangan.intake.selectors import findings_for, pending_for

    if not policy.has_perm(actor, perms.DOSSIER_VIEW):
        return []
    found = (
        findings_for(actor)
        .filter(responsible=actor, status=Finding.Status.OPEN)
        .select_related("dossier")
        .order_by("found_at")
    )
    items = [
        Item(
            f"{f.dossier.archive_number} {f.rule}",
            reverse("intake:finding", kwargs={"pk": f.pk}),
            _date(f.found_at),
        )
        for f in found[:SHOWN]
    ]
    link = reverse("intake:findings") + f"?status=open&person={actor.pk}"
    work = [Work("findings_to_fix", _("待整改的稽核问题"), found.count(), link, True, items)]
    statements = pending_for(actor)
    work.append(
        Work(
            "statements_to_approve",
            _("待审批的情况说明"),
            len(statements),
            reverse("intake:findings"),
            False,
            [
                Item(
                    f"{s.finding.dossier.archive_number} {s.text[:30]}",
                    reverse("intake:finding", kwargs={"pk": s.finding_id}),
                    _date(s.submitted_at),
                )
                for s in statements[:SHOWN]
            ],
        )
    )
    return work


def _circulation(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.circulation.models import AccessRequest, RequestKind
    from dangan.circulation.selectors import approvals_for, loans_visible_to

    work: list[Work] = []
    approvals = approvals_for(actor).order_by("created_at")
    work.append(
        Work(
            "requests_to_approve",
            _("待审批的借阅申请"),
            approvals.count(),
            reverse("circulation:approvals"),
            False,
            [
                Item(
                    f"{r.number} {r.get_kind_display()} {r.dossier.archive_number}",
                    reverse("circulation:request", kwargs={"pk": r.pk}),
                    _date(r.created_at),
                )
                for r in approvals.select_related("dossier")[:SHOWN]
            ],
        )
    )
    lender = policy.has_perm(actor, perms.CIRCULATION_LEND)
    if lender:
        to_hand_out = (
            AccessRequest.objects.filter(
                kind=RequestKind.BORROW, status=AccessRequest.Status.APPROVED, loan__isnull=True
            )
            .select_related("dossier", "requester")
            .order_by("decided_at")
        )
        work.append(
            Work(
                "loans_to_hand_out",
                _("已批准待借出"),
                to_hand_out.count(),
                reverse("circulation:loans"),
                False,
                [
                    Item(
                        f"{r.dossier.archive_number} → {r.requester}",
                        reverse("circulation:request", kwargs={"pk": r.pk}),
                        _date(r.decided_at),
                    )
                    for r in to_hand_out[:SHOWN]
                ],
            )
        )
    loans = loans_visible_to(actor).filter(returned_at__isnull=True)
    if not lender:
        loans = loans.filter(borrower=actor)
    end_of_day = timezone.make_aware(datetime.datetime.combine(today, datetime.time.max))
    now = timezone.now()
    overdue = loans.filter(due_at__lt=now).order_by("due_at")
    due = loans.filter(due_at__gte=now, due_at__lte=end_of_day).order_by("due_at")
    for kind, label, found, urgent in (
        ("loans_due", _("今天到期的借阅"), due, False),
        ("loans_overdue", _("逾期未还的借阅"), overdue, True),
    ):
        work.append(
            Work(
                kind,
                label,
                found.count(),
                reverse("circulation:loans"),
                urgent,
                [_loan_item(loan) for loan in found[:SHOWN]],
            )
        )
    return work


def _loan_item(loan: Any) -> Item:
    return Item(
        f"{loan.dossier.archive_number} · {loan.borrower}",
        reverse("circulation:loan", kwargs={"pk": loan.pk}),
        _date(loan.due_at),
    )


def _service(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.service.models import Contact, NoticeReceipt, Ticket

    work: list[Work] = []
    if policy.has_perm(actor, perms.SERVICE_VIEW):
        tickets = policy.service_records_for(actor, Ticket).filter(status__in=Ticket.OPEN)
        mine = tickets.filter(handler=actor).order_by("deadline")
        work.append(
            Work(
                "tickets_to_handle",
                _("待处理的工单"),
                mine.count(),
                reverse("service:tickets"),
                False,
                [_ticket_item(t) for t in mine.select_related("customer")[:SHOWN]],
            )
        )
        if policy.data_scope(actor) != "own":
            late = tickets.filter(deadline__lt=today).order_by("deadline")
            work.append(
                Work(
                    "tickets_overdue",
                    _("超期的工单"),
                    late.count(),
                    reverse("service:tickets") + "?overdue=1",
                    True,
                    [_ticket_item(t) for t in late.select_related("customer")[:SHOWN]],
                )
            )
        follow = (
            policy.service_records_for(actor, Contact)
            .filter(created_by=actor, follow_up__lte=today, follow_up_done_at__isnull=True)
            .select_related("customer")
            .order_by("follow_up")
        )
        work.append(
            Work(
                "follow_ups",
                _("待跟进的客户联系"),
                follow.count(),
                reverse("service:contacts") + "?pending=1",
                False,
                [
                    Item(
                        f"{c.customer.name} {c.summary[:30]}",
                        reverse("service:contacts") + f"?customer={c.customer_id}",
                        _date(c.follow_up),
                    )
                    for c in follow[:SHOWN]
                ],
            )
        )
    unread = NoticeReceipt.objects.filter(user=actor, acknowledged_at__isnull=True).select_related(
        "notice"
    )
    work.append(
        Work(
            "notices_to_acknowledge",
            _("待签收的通知"),
            unread.count(),
            reverse("service:notices"),
            False,
            [
                Item(
                    r.notice.title,
                    reverse("service:notice", kwargs={"pk": r.notice_id}),
                    _date(r.notice.created_at),
                )
                for r in unread[:SHOWN]
            ],
        )
    )
    return work


def _ticket_item(ticket: Any) -> Item:
    return Item(
        f"{ticket.number} {ticket.customer.name} {ticket.description[:20]}",
        reverse("service:ticket", kwargs={"pk": ticket.pk}),
        _date(ticket.deadline),
    )


def _reminders(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.home.reminders import reminders_for

    if not policy.has_perm(actor, perms.CUSTOMER_VIEW):
        return []
    due = [r for r in reminders_for(actor, start=today, days=0) if not r.done]
    return [
        Work(
            "reminders",
            _("今天的客户关怀与跟进提醒"),
            len(due),
            reverse("home:reminders"),
            False,
            [Item(r.title, r.link, r.date.isoformat(), str(r.label)) for r in due[:SHOWN]],
        )
    ]


def _security(actor: User, today: datetime.date) -> Iterable[Work]:
    from dangan.accounts.models import Lockout
    from dangan.audit.models import AuditEntry

    work: list[Work] = []
    if policy.has_perm(actor, perms.SECURITY_MANAGE):
        locked = Lockout.objects.filter(until__gt=timezone.now(), lifted_at__isnull=True)
        work.append(
            Work(
                "lockouts",
                _("被锁定的账号与地址"),
                locked.count(),
                reverse("accounts:lockouts"),
                False,
                [
                    Item(f"{lock.key}", reverse("accounts:lockouts"), _date(lock.until))
                    for lock in locked[:SHOWN]
                ],
            )
        )
    if policy.has_perm(actor, perms.AUDIT_VIEW):
        since = timezone.now() - datetime.timedelta(days=7)
        denied = AuditEntry.objects.filter(outcome="denied", at__gte=since)
        work.append(
            Work(
                "denied_access",
                _("近 7 天被拒绝的访问"),
                denied.count(),
                reverse("audit:list") + "?outcome=denied",
                False,
            )
        )
    return work


def _disposal(actor: User, today: datetime.date) -> Iterable[Work]:
    """Dossiers past their retention (for the archive room), and destruction lists waiting
    for the person's appraisal, approval or supervision."""
    from dangan.disposal import services as disposal
    from dangan.disposal.approval import waiting_for
    from dangan.disposal.models import DisposalList
    from dangan.disposal.selectors import due_list

    work: list[Work] = []
    if policy.has_perm(actor, perms.DISPOSAL_PROPOSE):
        due = due_list(actor, today=today)
        work.append(
            Work(
                "disposal_due",
                _("保管期满待鉴定的档案"),
                len(due),
                reverse("disposal:due"),
                False,
                [
                    Item(
                        d.dossier.archive_number,
                        reverse("archives:dossier", kwargs={"pk": d.dossier.pk}),
                        d.expires.isoformat(),
                    )
                    for d in due[:SHOWN]
                ],
            )
        )
    if not disposal.may_take_part(actor):
        return work
    roles = {role.code for role in policy.roles_of(actor)}
    waiting = []
    mine = waiting_for(actor)
    for found in DisposalList.objects.filter(status__in=disposal.OPEN):
        if (
            (found.status == DisposalList.Status.APPROVAL and found.pk in mine)
            or (
                found.status == DisposalList.Status.HOLD
                and policy.has_perm(actor, perms.DISPOSAL_SUPERVISE)
                and found.hold_until is not None
                and found.hold_until <= today
            )
            or (found.status == DisposalList.Status.APPRAISAL and "dept_manager" in roles)
        ):
            waiting.append(found)
    work.append(
        Work(
            "disposal_lists",
            _("待您鉴定、审批或监销的销毁清单"),
            len(waiting),
            reverse("disposal:lists"),
            False,
            [
                Item(
                    f.number,
                    reverse("disposal:list", kwargs={"pk": f.pk}),
                    _date(f.created_at),
                    str(f.get_status_display()),
                )
                for f in waiting[:SHOWN]
            ],
        )
    )
    return work


def _inventory(actor: User, today: datetime.date) -> Iterable[Work]:
    """Discrepancies closed inventory rounds left open (missing, misplaced, unknown labels)
    among the dossiers the archive room's person may see."""
    from dangan.paper.models import Discrepancy

    if not policy.has_perm(actor, perms.DOSSIER_LOCATE):
        return []
    visible = policy.dossiers_for(actor).values("pk")
    tasks = (
        Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
        .filter(Q(dossier__isnull=True) | Q(dossier__in=visible))
        .select_related("round")
        .order_by("id")
    )
    return [
        Work(
            "inventory_discrepancies",
            _("盘点差异待处理"),
            tasks.count(),
            reverse("paper:inventory_list"),
            False,
            [
                Item(
                    f"{task.get_kind_display()} {task.text}",
                    reverse("paper:inventory", kwargs={"pk": task.round_id}) + "#tasks",
                    task.round.number,
                )
                for task in tasks[:SHOWN]
            ],
        )
    ]


def _confirmations(actor: User, today: datetime.date) -> Iterable[Work]:
    """Filed pieces waiting for the person's sign-off (issue 27 §6); shown to the roles
    that confirm anything, also when nothing waits, and to those a sign-off may be passed
    on to (the steps' next levels, the archive room, the director) when one was."""
    from dangan.archives.models import ChecklistItem
    from dangan.circulation.approvals import FALLBACK_LEVELS
    from dangan.confirmations.services import waiting_for
    from dangan.rules.schema import parse_steps

    roles = {role.code for role in policy.roles_of(actor)}
    asked: set[str] = set()
    levels: set[str] = set(FALLBACK_LEVELS)
    for steps in ChecklistItem.objects.exclude(confirm=[]).values_list("confirm", flat=True):
        for step in parse_steps(steps):  # the one typed schema of a stored chain
            asked.add(step.role)
            levels.add(step.escalate_to)
    if not roles & (asked | levels):
        return []
    waiting = list(waiting_for(actor))
    if not roles & asked and not waiting:
        return []
    return [
        Work(
            "confirmations",
            _("待我确认的文件"),
            len(waiting),
            reverse("confirmations:queue"),
            False,
            [
                Item(
                    f"{document.dossier.archive_number} {document.title}",
                    reverse("confirmations:queue"),
                    _date(document.created_at),
                )
                for document in (c.document for c in waiting[:SHOWN])
                if document is not None
            ],
        )
    ]


def _checks(actor: User, today: datetime.date) -> Iterable[Work]:
    """Periodic checks of the archive room due today or overdue."""
    from dangan.paper.checks import checks_due, scope_text

    if not policy.has_perm(actor, perms.DOSSIER_LOCATE):
        return []
    due = list(checks_due(today=today))
    return [
        Work(
            "checks_due",
            _("到期的定期检查"),
            len(due),
            reverse("paper:checks"),
            any(plan.next_due < today for plan in due),
            [
                Item(
                    f"{plan.get_kind_display()} · {scope_text(plan.location)}",
                    reverse("paper:checks"),
                    plan.next_due.isoformat(),
                )
                for plan in due[:SHOWN]
            ],
        )
    ]


def _backups(actor: User, today: datetime.date) -> Iterable[Work]:
    """For the system administrator: failed or missed backups since the last good one, and
    a warning when the last good one is older than the schedule allows."""
    from dangan.backups.models import BackupRun

    if not policy.has_perm(actor, perms.SYSTEM_BACKUP):
        return []
    good = BackupRun.objects.filter(state=BackupRun.State.SUCCEEDED).order_by("-finished_at")
    last = good.first()
    bad = BackupRun.objects.filter(state__in=[BackupRun.State.FAILED, BackupRun.State.MISSED])
    if last is not None and last.finished_at is not None:
        bad = bad.filter(created_at__gt=last.finished_at)
    items = [
        Item(
            f"{run.get_state_display()} {run.get_trigger_display()}",
            reverse("backups:index"),
            _date(run.finished_at or run.created_at),
            run.error[:80],
        )
        for run in bad.order_by("-created_at")[:SHOWN]
    ]
    stale = (
        last is None
        or last.finished_at is None
        or (timezone.now() - last.finished_at > datetime.timedelta(days=BACKUP_STALE_DAYS))
    )
    if stale:
        when = _date(last.finished_at) if last is not None else ""
        note = _("最近一次成功备份:%(when)s") % {"when": when} if when else _("还没有成功的备份")
        items.insert(
            0,
            Item(
                str(_("超过 %(n)d 天没有成功的备份") % {"n": BACKUP_STALE_DAYS}),
                reverse("backups:index"),
                when,
                str(note),
            ),
        )
    return [
        Work(
            "backups",
            _("备份异常"),
            bad.count() + int(stale),
            reverse("backups:index"),
            bool(items),
            items,
        )
    ]


SOURCES: tuple[Callable[[User, datetime.date], Iterable[Work]], ...] = (
    _intake,
    _handovers,
    _findings,
    _confirmations,
    _circulation,
    _service,
    _reminders,
    _disposal,
    _inventory,
    _checks,
    _backups,
    _security,
)


def work_for(actor: User, *, today: datetime.date | None = None) -> list[Work]:
    """Every kind of work the actor's roles can act on, urgent first, then by count."""
    today = today or timezone.localdate()
    found = [work for source in SOURCES for work in source(actor, today)]
    return sorted(found, key=lambda w: (not (w.urgent and w.count), w.count == 0))


BADGE_SECONDS = 60  # the navigation's badge is counted at most once a minute per person


def _badge_key(actor: User) -> str:
    return f"dangan:work-waiting:{actor.pk}"


def remember_count(actor: User, work: list[Work]) -> None:
    """Keep the count of what the home page has just listed for the badge, so that the
    page does not count everything a second time for its own navigation."""
    from django.core.cache import cache

    cache.set(_badge_key(actor), sum(w.count for w in work), BADGE_SECONDS)


def waiting_count(actor: User) -> int:
    """How many things wait for the actor (the navigation's badge), counted at most once
    a minute per person (per server process)."""
    from django.core.cache import cache

    count = cache.get(_badge_key(actor))
    if count is None:
        work = work_for(actor)
        remember_count(actor, work)
        count = sum(w.count for w in work)
    return int(count)
