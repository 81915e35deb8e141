"""Dated parts inside one dossier (卷内分组, issue 23 §5): the repeating sets of one
thing — each service visit of a car, each stay of a guest — filed in its one bag."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier, DossierPart
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError

CLOSED = (Dossier.Status.PENDING_DISPOSAL, Dossier.Status.DESTROYED)


@refusals_audited("part_add", "dossier")
@transaction.atomic
def dossier_part_add(
    *, actor: User, dossier: Dossier, label: str, date: datetime.date | None
) -> DossierPart:
    """Open a dated part in the dossier; documents are then filed under it."""
    dossier = policy.access_dossier(actor, dossier.pk, action=perms.DOCUMENT_UPLOAD)
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if dossier.status in CLOSED:
        raise ApplicationError(_("该档案已进入销毁流程,不能再添加分组"), field="dossier")
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("请填写分组名称"), field="label")
    if len(label) > 100:
        raise ApplicationError(_("分组名称最多100字"), field="label")
    if date is None:
        raise ApplicationError(_("请填写日期"), field="date")
    if date > timezone.localdate():
        raise ApplicationError(_("日期不能晚于今天"), field="date")
    part = DossierPart.objects.create(dossier=dossier, label=label, date=date, created_by=actor)
    audit_record(
        actor=actor,
        action="part_add",
        obj=dossier,
        detail={"part": part.pk, "label": label, "date": date.isoformat()},
    )
    return part


def dossier_parts(dossier: Dossier) -> list[Any]:
    """The dossier's parts, newest first, each with how many documents it holds."""
    return list(dossier.parts.annotate(document_count=Count("documents")).order_by("-date", "-id"))
