"""年度立卷 pages (archives.volumes): choose a type, a department and a year, see what
closing it binds, close it; a closed year's volumes and the catalogue of the dossiers
bound apart, each printable."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives import volumes
from dangan.archives.models import ArchiveType, YearVolume
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors


class YearCloseForm(forms.Form):
    archive_type = forms.ModelChoiceField(
        label=gettext_lazy("档案类型"),
        queryset=ArchiveType.objects.filter(is_active=True).order_by("id"),
        empty_label=gettext_lazy("请选择档案类型"),
        error_messages={
            "required": gettext_lazy("请选择档案类型"),
            "invalid_choice": gettext_lazy("档案类型不存在或已停用"),
        },
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("全部部门"),
        error_messages={
            "required": gettext_lazy("请选择部门"),
            "invalid_choice": gettext_lazy("部门不存在或不在您可立卷的范围内"),
        },
    )
    year = forms.IntegerField(
        label=gettext_lazy("年度"),
        error_messages={
            "required": gettext_lazy("请填写年度,如 2025"),
            "invalid": gettext_lazy("年度应为四位数字,如 2025"),
        },
    )
    note = forms.CharField(label=gettext_lazy("备注"), required=False, max_length=volumes.NOTE_MAX)

    def __init__(self, data: Any, *, actor: User) -> None:
        allowed = volumes.closing_departments(actor)
        if allowed is not None and data is not None and not data.get("department") and allowed:
            # A department's manager closes their own department: it is the one choice
            # the list shows, taken when a link or an old bookmark leaves it out.
            data = data.copy()
            data["department"] = str(allowed[0])
        super().__init__(data)
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["year"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        if allowed is not None:  # a department's manager: their own department only
            field = cast(forms.ModelChoiceField, self.fields["department"])  # type: ignore[type-arg]
            field.queryset = Department.objects.filter(pk__in=allowed)
            field.required = True
            field.empty_label = None


def _plan(form: YearCloseForm, actor: User, failed: ApplicationError | None) -> volumes.Plan | None:
    """The preview of the form's choice; a refusal (of the close, `failed`, or of the
    preview itself) shows on the form."""
    data = form.cleaned_data
    plan = None
    try:
        plan = volumes.year_plan(
            actor=actor,
            archive_type=data["archive_type"],
            year=data["year"],
            department=data["department"],
        )
    except ApplicationError as exc:
        if failed is None or exc.message != failed.message:
            add_form_error(form, exc)
    if failed is not None:
        add_form_error(form, failed)
    return plan


@login_required
@app_errors
def year_volumes(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.DOSSIER_STATUS)
    actor = actor_of(request)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = YearCloseForm(data, actor=actor)
    plan = chosen = None
    if data is not None and form.is_valid():
        chosen = dict(form.cleaned_data)  # a refusal shown on a field takes it out of the form
        failed = None
        if request.method == "POST":
            try:
                volume = volumes.year_close(actor=actor, **form.cleaned_data)
            except ApplicationError as exc:
                failed = exc
            else:
                messages.success(request, _closed_message(volume))
                return redirect("archives:year_volume", volume.pk)
        plan = _plan(form, actor, failed)
    return render(
        request,
        "archives/year_volumes.html",
        {
            "form": form,
            "plan": plan,
            "chosen": chosen,
            "rows": volumes.numbered(plan) if plan is not None else [],
            "closed": volumes.volumes_for(actor)[:100],
            "section": "dossiers",
        },
    )


def _closed_message(volume: YearVolume) -> str:
    return _("%(type)s %(year)s 年度已立卷:共 %(n)s 卷,另行装订 %(m)s 卷") % {
        "type": volume.archive_type.name,
        "year": volume.year,
        "n": volume.volumes,
        "m": volume.apart,
    }


@login_required
@app_errors
def year_volume(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    catalogue = volumes.volume_catalogue(actor, volumes.access_volume(actor, pk))
    return render(
        request,
        "archives/year_volume.html",
        {
            "volume": catalogue.volume,
            "bound": catalogue.bound,
            "apart": catalogue.apart,
            "hidden": catalogue.hidden,
            "moved_on": catalogue.moved_on,
            "section": "dossiers",
        },
    )
