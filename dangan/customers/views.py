from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.forms import DossierCreateForm
from dangan.changes import selectors as change_selectors
from dangan.changes.models import ChangeRequest
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors
from dangan.customers import credit, selectors, services
from dangan.customers.forms import CreditForm, CustomerFilterForm, CustomerForm, RelatedPersonForm
from dangan.customers.models import Customer, RelatedPerson


@login_required
@app_errors
def customer_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.CUSTOMER_VIEW)
    form = CustomerFilterForm(request.GET or None, owners=policy.assignable_owners(request.user))
    if policy.customer_fields_for(request.user) is not None:
        for name in set(form.fields) - selectors.LIMITED_FILTERS:
            del form.fields[name]
        form.fields["q"].widget.attrs["placeholder"] = _("客户名称或拼音首字母")
    filters = form.cleaned_data if form.is_valid() else {}
    customers = services.customers_search(actor=actor_of(request), filters=filters)
    page = Paginator(customers, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/list.html",
        {
            "form": form,
            "page": page,
            "section": "customers",
            "rows": selectors.list_rows(request.user, list(page.object_list)),
            "limited": policy.customer_fields_for(request.user) is not None,
        },
    )


@login_required
@app_errors
def customer_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.CUSTOMER_CREATE)
    owners = policy.assignable_owners(request.user)
    form = CustomerForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=actor_of(request), **form.service_kwargs())
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已创建客户“%(name)s”") % {"name": customer.name})
            return redirect("customers:detail", customer.pk)
    return render(
        request, "customers/form.html", {"form": form, "section": "customers", "creating": True}
    )


@login_required
@app_errors
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
    owners = policy.assignable_owners(request.user)
    if request.method == "POST":
        form = CustomerForm(request.POST, owners=owners)
        form.fields["kind"].disabled = True
        form.fields["kind"].initial = customer.kind
        form.fields["reason"] = _reason_field()
        if form.is_valid():
            changes = {
                key: ("" if value is None and key not in _NULLABLE else value)
                for key, value in form.cleaned_data.items()
                if key not in ("kind", "reason") and key not in _skip_for(customer)
            }
            if changes.get("owner") in ("", None):
                changes.pop("owner", None)
            _keep_masked_identity(request, customer, changes)
            try:
                result = services.customer_update(
                    actor=actor_of(request),
                    customer=customer,
                    changes=changes,
                    reason=form.cleaned_data.get("reason") or "",
                )
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                if isinstance(result, ChangeRequest):
                    messages.info(
                        request,
                        _("此修改须审批,已提交修改申请 %(n)s,批准后生效") % {"n": result.number},
                    )
                else:
                    messages.success(request, _("已保存"))
                return redirect("customers:detail", customer.pk)
    else:
        initial = {
            name: getattr(customer, name)
            for name in CustomerForm.base_fields
            if hasattr(customer, name) and name not in ("owner", "id_number")
        }
        initial["owner"] = customer.owner_id
        initial["id_number"] = policy.shown_id_number(request.user, customer)
        initial["mobile"] = policy.shown_mobile(request.user, customer.mobile)
        initial["phone"] = policy.shown_mobile(request.user, customer.phone)
        form = CustomerForm(initial=initial, owners=owners)
        form.fields["kind"].disabled = True
        form.fields["reason"] = _reason_field()
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": customer, "section": "customers", "creating": False},
    )


_NULLABLE = {"birth_date", "registered_capital", "credit_limit", "owner"}


def _reason_field() -> forms.CharField:
    """The reason a change of a filed customer needs (change control; identity fields
    always need one)."""
    return forms.CharField(
        label=_("修改原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("修改姓名/名称、证件号码、信用代码,或已建档客户的资料时必填"),
    )


def _keep_masked_identity(
    request: HttpRequest, customer: Customer, changes: dict[str, Any]
) -> None:
    """The edit form shows the ID number as the policy masks it; posted back unchanged,
    it means "keep the number", not "replace it with asterisks"."""
    shown = policy.shown_id_number(request.user, customer)
    if changes.get("id_number") == shown and shown != customer.id_number:
        changes.pop("id_number")
        if changes.get("id_type") in ("", customer.id_type):
            changes.pop("id_type", None)
    for name in ("mobile", "phone"):
        current = getattr(customer, name)
        if current and changes.get(name) == policy.shown_mobile(request.user, current):
            changes.pop(name)


def _skip_for(customer: Customer) -> tuple[str, ...]:
    if customer.kind == Customer.Kind.INDIVIDUAL:
        return CustomerForm.ORGANIZATION_FIELDS
    return CustomerForm.INDIVIDUAL_FIELDS


@login_required
@app_errors
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = services.customer_open(actor=actor_of(request), pk=pk)
    dossiers = (
        policy.dossiers_for(request.user).filter(customer=customer).select_related("archive_type")
    )
    can_create = policy.has_perm(request.user, perms.DOSSIER_CREATE)
    can_edit = policy.has_perm(request.user, perms.CUSTOMER_CHANGE)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "id_number": policy.shown_id_number(request.user, customer),
            "mobile": policy.shown_mobile(request.user, customer.mobile),
            "dossiers": dossiers,
            "sees_every_dossier": policy.sees_every_dossier_of_listed_customers(request.user),
            "dossier_form": DossierCreateForm(customer=customer) if can_create else None,
            "can_edit": can_edit,
            "limited": policy.customer_fields_for(request.user) is not None,
            "can_see_credit": policy.may_see_credit(request.user),
            "can_edit_credit": policy.may_edit_credit(request.user),
            "can_unmask": policy.can_unmask(request.user),
            "related": _related_rows(request, customer),
            "related_form": RelatedPersonForm() if can_edit else None,
            "history": change_selectors.customer_history(request.user, customer),
            "section": "customers",
        },
    )


def _related_rows(request: HttpRequest, customer: Customer) -> list[dict[str, Any]]:
    return [
        {"person": p, "mobile": policy.shown_mobile(request.user, p.mobile)}
        for p in customer.related_persons.all()
    ]


@login_required
@require_POST
@app_errors
def customer_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full identity number and phone in place (htmx), recorded as "unmask"."""
    customer = policy.access_customer(request.user, pk)
    values = services.customer_unmask(actor=actor_of(request), customer=customer)
    return render(
        request,
        "customers/detail.html#identity",
        {
            "customer": customer,
            "id_number": values["id_number"],
            "mobile": values["mobile"],
            "unmasked": True,
        },
    )


@login_required
@require_POST
@app_errors
def related_person_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
    form = RelatedPersonForm(request.POST)
    if form.is_valid():
        try:
            services.related_person_add(
                actor=actor_of(request), customer=customer, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
    if form.errors:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        messages.success(request, _("已添加关联人"))
    return redirect("customers:detail", customer.pk)


@login_required
@require_POST
@app_errors
def related_person_remove(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
    person = get_object_or_404(RelatedPerson, pk=person_pk, customer=customer)
    services.related_person_remove(actor=actor_of(request), person=person)
    messages.success(request, _("已删除关联人"))
    return redirect("customers:detail", customer.pk)


@login_required
@app_errors
def customer_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Finance sets a customer's credit rating and limit (seed 001)."""
    policy.require(request.user, perms.CUSTOMER_CREDIT)
    customer = policy.access_customer(request.user, pk)
    initial = {"credit_rating": customer.credit_rating, "credit_limit": customer.credit_limit}
    form = CreditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                credit.customer_credit_set(
                    actor=actor_of(request), customer=customer, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(request, _("已保存信用等级与授信额度"))
                return redirect("customers:detail", customer.pk)
        status = 400
    context = {"form": form, "customer": customer, "section": "customers"}
    return render(request, "customers/credit.html", context, status=status)
