"""The archive room's page of paper copies handed out (纸质资料发放): issue, recall, take
back, destroy (issue 27 §7). Holders see the copies they hold."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors
from dangan.paper import copies
from dangan.paper.models import PaperCopy


class IssueForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("资料名称"),
        max_length=200,
        help_text=gettext_lazy("如:3月12日讲座会员名单"),
    )
    purpose = forms.CharField(label=gettext_lazy("用途"), max_length=500)
    copies = forms.IntegerField(label=gettext_lazy("份数"), min_value=1, max_value=100, initial=1)
    issued_to = forms.ModelChoiceField(
        label=gettext_lazy("领取人"), queryset=User.objects.none(), empty_label="—"
    )
    due = forms.DateField(
        label=gettext_lazy("归还日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("下次讲座前或一周内"),
    )
    archive_numbers = forms.CharField(
        label=gettext_lazy("涉及档案(档号)"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("可选,多个档号用逗号或空格分隔"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_to"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "department__name", "username"
        )
        self.fields["due"].initial = copies.default_due()

    def numbers(self) -> list[str]:
        text = self.cleaned_data.get("archive_numbers") or ""
        for sep in (",", ",", "、", ";", ";"):
            text = text.replace(sep, " ")
        return [part for part in text.split() if part]


class ReturnForm(forms.Form):
    returned_copies = forms.IntegerField(label=gettext_lazy("收回份数"), min_value=0)
    note = forms.CharField(
        label=gettext_lazy("收回说明"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("少于发放份数时须说明"),
    )


class DestroyForm(forms.Form):
    method = forms.CharField(label=gettext_lazy("销毁方式"), max_length=100, initial="碎纸机粉碎")
    witness = forms.CharField(label=gettext_lazy("监销人"), required=False, max_length=64)


class RecallForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("催还说明"), required=False, max_length=500)


FILTERS = {
    "out": gettext_lazy("在外"),
    "overdue": gettext_lazy("逾期未还"),
    "returned": gettext_lazy("待销毁"),
    "all": gettext_lazy("全部"),
}


def _filtered(actor: Any, which: str) -> Any:
    found = copies.copies_for(actor)
    if which == "out":
        return found.filter(status__in=(PaperCopy.Status.ISSUED, PaperCopy.Status.RECALLED))
    if which == "overdue":
        return copies.overdue(found)
    if which == "returned":
        return found.filter(status=PaperCopy.Status.RETURNED)
    return found


@login_required
@app_errors
def copy_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    manage = copies.may_manage(actor)
    which = request.GET.get("show", "out")
    which = which if which in FILTERS else "out"
    form = IssueForm(request.POST or None) if manage else None
    if request.method == "POST":
        policy.require(actor, perms.CIRCULATION_LEND)
    if request.method == "POST" and form is not None and form.is_valid():
        numbers = form.numbers()
        found = dict(
            policy.dossiers_for(actor)
            .filter(archive_number__in=numbers)
            .values_list("archive_number", "pk")
        )
        unknown = [n for n in numbers if n not in found]
        if unknown:
            form.add_error(
                "archive_numbers", _("档号不存在或您无权查看:%(n)s") % {"n": "、".join(unknown)}
            )
        else:
            try:
                copy = copies.paper_copy_issue(
                    actor=actor,
                    title=form.cleaned_data["title"],
                    purpose=form.cleaned_data["purpose"],
                    copies=form.cleaned_data["copies"],
                    issued_to=form.cleaned_data["issued_to"],
                    due=form.cleaned_data["due"],
                    dossier_ids=list(found.values()),
                )
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(request, _("已发放 %(n)s") % {"n": copy.number})
                return redirect("copies:detail", copy.pk)
    return render(
        request,
        "paper/copy_list.html",
        {
            "copies": _filtered(actor, which)[:200],
            "filters": FILTERS,
            "which": which,
            "form": form,
            "manage": manage,
            "section": "circulation",
        },
    )


@login_required
@app_errors
def copy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    copy = copies.access_copy(actor, pk)
    return render(
        request,
        "paper/copy_detail.html",
        {
            "copy": copy,
            "manage": copies.may_manage(actor),
            "recall_form": RecallForm(),
            "return_form": ReturnForm(initial={"returned_copies": copy.copies}),
            "destroy_form": DestroyForm(),
            "dossiers": copy.dossiers.all(),
            "section": "circulation",
        },
    )


def _act(
    request: HttpRequest, pk: int, form_class: type[forms.Form], action: Any, done: str
) -> HttpResponse:
    actor = actor_of(request)
    copy = copies.access_copy(actor, pk)
    policy.require(actor, perms.CIRCULATION_LEND)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(actor, copy, form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, done)
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("copies:detail", pk)


@login_required
@require_POST
@app_errors
def copy_recall(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        RecallForm,
        lambda actor, copy, data: copies.paper_copy_recall(
            actor=actor, copy=copy, note=data["note"]
        ),
        _("已催还,已通知领取人"),
    )


@login_required
@require_POST
@app_errors
def copy_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ReturnForm,
        lambda actor, copy, data: copies.paper_copy_return(
            actor=actor, copy=copy, returned_copies=data["returned_copies"], note=data["note"]
        ),
        _("已登记收回"),
    )


@login_required
@require_POST
@app_errors
def copy_destroy(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        DestroyForm,
        lambda actor, copy, data: copies.paper_copy_destroy(
            actor=actor, copy=copy, method=data["method"], witness=data["witness"]
        ),
        _("已登记销毁"),
    )
