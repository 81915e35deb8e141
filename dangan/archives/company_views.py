"""New company file (公司档案: a dossier of a customer-less type, kept by a department)."""

from __future__ import annotations

from typing import Any

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
from dangan.accounts.models import Department
from dangan.archives import company
from dangan.archives.models import ArchiveType, Dossier
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors


class CompanyDossierForm(forms.Form):
    archive_type = forms.ModelChoiceField(
        label=gettext_lazy("档案类型"), queryset=ArchiveType.objects.none()
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("所属部门"), queryset=Department.objects.none()
    )
    title = forms.CharField(
        label=gettext_lazy("案卷题名"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("留空则为“部门 类型 年度”"),
    )
    volume_year = forms.IntegerField(label=gettext_lazy("年度"), min_value=1900, max_value=2100)
    confidentiality = forms.ChoiceField(
        label=gettext_lazy("密级"), choices=Dossier.Confidentiality.choices
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = ArchiveType.objects.filter(customer_less=True, is_active=True)
        departments = Department.objects.filter(
            pk__in=[d.pk for d in company.departments_for(actor)]
        )
        self.fields["archive_type"].queryset = types  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["volume_year"].initial = timezone.localdate().year
        if getattr(actor, "department_id", None):
            self.fields["department"].initial = actor.department_id


@login_required
@app_errors
def company_dossier_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.DOSSIER_CREATE)
    form = CompanyDossierForm(
        request.POST if request.method == "POST" else None, actor=request.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier = company.company_dossier_create(
                actor=actor_of(request),
                archive_type=form.cleaned_data["archive_type"],
                department=form.cleaned_data["department"],
                title=form.cleaned_data["title"],
                volume_year=form.cleaned_data["volume_year"],
                confidentiality=form.cleaned_data["confidentiality"],
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已建档,档号 %(n)s") % {"n": dossier.archive_number})
            return redirect("archives:dossier", dossier.pk)
    return render(
        request, "archives/company_dossier_create.html", {"form": form, "section": "dossiers"}
    )
