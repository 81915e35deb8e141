"""The monthly notice of the dossiers and documents due for appraisal (issue 24 §2)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User


def due_notify(*, today: datetime.date | None = None) -> int:
    """Once a month, tell the archivists how many dossiers are due for appraisal."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from dangan.circulation.services import notify
    from dangan.disposal.selectors import due_list

    today = today or timezone.localdate()
    sent = 0
    for user in User.objects.filter(is_active=True, roles__permissions__isnull=False).distinct():
        if not policy.has_perm(user, perms.DISPOSAL_PROPOSE):
            continue
        count = len(due_list(user, today=today))
        if not count:
            continue
        made = notify(
            user=user,
            text=gettext("本月有 %(n)s 卷档案保管期满,待鉴定") % {"n": count},
            link=reverse("disposal:due"),
            key=f"disposal-due:{user.pk}:{today:%Y-%m}",
        )
        sent += made is not None
    return sent
