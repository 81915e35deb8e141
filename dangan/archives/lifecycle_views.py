"""The dossier page's status card: a move with its reason and effective date."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangan.accounts import policy
from dangan.archives import lifecycle
from dangan.archives.lifecycle import NextState
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, app_errors


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=gettext_lazy("转为"), choices=Dossier.Status.choices)
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=lifecycle.REASON_MAX,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如:合同已于该日终止")}),
    )
    effective = forms.DateField(
        label=gettext_lazy("生效日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, allowed: list[NextState], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [(n.status, f"{n.label}({n.status_label})") for n in allowed]
        today = timezone.localdate()
        self.fields["effective"].initial = today
        self.fields["effective"].widget.attrs["max"] = today.isoformat()


def lifecycle_context(user: Any, dossier: Dossier) -> dict[str, Any]:
    allowed = lifecycle.allowed_next(user, dossier)
    return {
        "dossier": dossier,
        "status_label": lifecycle.status_label(dossier.archive_type, dossier.status),
        "since": lifecycle.status_since(dossier),
        "history": lifecycle.status_history(dossier),
        "labels": {s: lifecycle.status_label(dossier.archive_type, s) for s in Dossier.Status},
        "form": TransitionForm(allowed=allowed) if allowed else None,
    }


@login_required
@require_POST
@app_errors
def dossier_transition(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = policy.access_dossier(request.user, pk)
    form = TransitionForm(request.POST, allowed=lifecycle.allowed_next(request.user, dossier))
    # The choices offered are the moves the table and the user's roles allow now; a move
    # not offered still goes to the service, which refuses it with the reason (and audits).
    form.fields["to"].choices = Dossier.Status.choices  # type: ignore[attr-defined]
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, _("未登记:%(e)s") % {"e": " ".join(errors)})
        return redirect("archives:dossier", dossier.pk)
    effective: datetime.date | None = form.cleaned_data["effective"]
    try:
        moved = lifecycle.dossier_transition(
            actor=actor_of(request),
            dossier=dossier,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
            effective=effective,
        )
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, str(exc.message))
    else:
        label = lifecycle.status_label(moved.archive_type, moved.status)
        messages.success(request, _("档案状态已登记为“%(s)s”") % {"s": label})
    return redirect("archives:dossier", dossier.pk)
