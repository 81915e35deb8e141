"""Actions of the home app: marking a reminder done, and telling owners of today's."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import InvalidTransition, NotFound
from dangan.home.models import ReminderDone
from dangan.home.reminders import KINDS, Reminder, reminders_for


def _find(actor: User, key: str) -> Reminder:
    """The actor's reminder named by `key`, recomputed for its day: a key one may not
    see, or that names nothing, is not found."""
    parts = key.split(":")
    kind = parts[0] if parts else ""
    try:
        day = datetime.date.fromisoformat(parts[-1])
    except (ValueError, IndexError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    if kind not in KINDS or len(key) > 120:
        raise NotFound(_("记录不存在或您无权查看"))
    if kind == "key_customer":
        day = timezone.localdate()
    for reminder in reminders_for(actor, start=day, days=0, kind=kind, everyone=True):
        if reminder.key == key:
            return reminder
    raise NotFound(_("记录不存在或您无权查看"))


@refusals_audited("reminder_done", "key")
@transaction.atomic
def reminder_done(*, actor: User, key: str, note: str = "") -> ReminderDone:
    """Mark a care or follow-up reminder done, with a note (called, sent a card …)."""
    reminder = _find(actor, key)
    if ReminderDone.objects.filter(user=actor, key=key).exists():
        raise InvalidTransition(_("该提醒已标记完成"), field="key")
    done = ReminderDone.objects.create(user=actor, key=key, note=note.strip()[:500])
    audit_record(
        actor=actor,
        action="reminder_done",
        object_type="reminder",
        object_id=key[:40],
        object_repr=reminder.title[:200],
        detail={"kind": reminder.kind, "note": done.note},
    )
    return done


def reminders_notify(*, today: datetime.date | None = None) -> int:
    """Each owner hears of their reminders of the day once (the worker runs it with the
    loan reminders)."""
    from dangan.circulation.services import notify

    today = today or timezone.localdate()
    sent = 0
    for user in User.objects.filter(is_active=True).prefetch_related("roles"):
        if not policy.has_perm(user, perms.CUSTOMER_VIEW):
            continue
        for reminder in reminders_for(user, start=today, days=0):
            if reminder.done or reminder.kind in ("loan_due", "follow_up"):
                continue  # those two have notices of their own
            made = notify(
                user=user,
                text=gettext("提醒(%(kind)s):%(title)s")
                % {"kind": reminder.label, "title": reminder.title},
                link=reverse("home:reminders"),
                key=f"reminder:{reminder.key}"[:100],
            )
            sent += made is not None
    return sent
