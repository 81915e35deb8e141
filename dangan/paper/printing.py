"""Printing a dossier's paper (sheets.py) is on the record: each print is one service that
opens the dossiers through the policy layer (404 for one the actor may not see, recorded by
the HTTP layer as every refused look is) and writes an audit entry per dossier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.audit.services import Event, audit_record_many
from dangan.core.errors import ApplicationError, NotFound
from dangan.paper import sheets

# The forms of one dossier, as the API names them (GET /api/v1/dossiers/{id}/print/{form}.pdf).
DOSSIER_FORMS = {
    "cover": gettext_lazy("档案袋封面"),
    "contents": gettext_lazy("档案袋文件清单"),
    "catalogue": gettext_lazy("卷内目录"),
    "notes": gettext_lazy("备考表"),
    "label": gettext_lazy("脊背标签"),
}
SELECTION_LIMIT = 500  # dossiers in one print


def _open(actor: User, ids: Sequence[Any]) -> list[Dossier]:
    """The dossiers, each one the actor may see, in the order asked; NotFound when one is
    missing or hidden (one answer for both)."""
    wanted = []
    for value in ids:
        text = str(value).strip()
        if not text.isdigit():
            raise ApplicationError(_("档案编号无效"), field="ids")
        if int(text) not in wanted:
            wanted.append(int(text))
    if not wanted:
        raise ApplicationError(_("请选择要打印的档案"), field="ids")
    if len(wanted) > SELECTION_LIMIT:
        raise ApplicationError(_("一次最多打印 %(n)s 份档案") % {"n": SELECTION_LIMIT}, field="ids")
    found = {
        d.pk: d
        for d in policy.dossiers_for(actor)
        .filter(pk__in=wanted)
        .select_related("customer", "archive_type", "created_by", "customer__owner")
    }
    if len(found) != len(wanted):
        raise NotFound(_("档案不存在"))
    return [found[pk] for pk in wanted]


@transaction.atomic
def dossiers_print(*, actor: User, form: str, ids: Sequence[Any], start: int = 0) -> bytes:
    """One form (DOSSIER_FORMS) of the dossiers `ids`, as one PDF; recorded per dossier."""
    if form not in DOSSIER_FORMS:
        raise NotFound(_("没有这种打印格式"))
    dossiers = _open(actor, ids)
    if form == "label":
        content = sheets.dossier_labels_pdf(dossiers, start=max(0, min(start, 13)))
    else:
        content = sheets.dossier_sheets_pdf(actor, form, dossiers)
    what = str(DOSSIER_FORMS[form])
    audit_record_many(
        actor=actor,
        events=[Event("print", obj=d, detail={"what": what, "form": form}) for d in dossiers],
    )
    return content
