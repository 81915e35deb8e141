"""The archive room's pages for the rules: an archive type's rules, section by section
(fields, deadline, consistency, penalties, numbering and retention), and the approval
rules with "谁来审批?". Forms shape the input; the services check it against the schema."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, Role
from dangan.archives.models import ArchiveType, Dossier
from dangan.circulation.models import ApprovalRule
from dangan.core.errors import ApplicationError, ValidationFailed
from dangan.core.http import actor_of, app_errors, is_htmx
from dangan.rules import forms as rule_forms
from dangan.rules import selectors, services
from dangan.rules.models import RuleVersion

FieldRows = formset_factory(rule_forms.FieldRowForm, extra=2)
ConsistencyRows = formset_factory(rule_forms.ConsistencyRowForm, extra=1)
PenaltyRows = formset_factory(rule_forms.PenaltyRowForm, extra=1)
SECTIONS = (
    "fields",
    "deadline",
    "consistency",
    "penalties",
    "retention",
    "change_control",
    "confirm",
)


def _messages_of(exc: ApplicationError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [str(message) for message in exc.errors.values()]
    return [str(exc.message)]


def _type_forms(archive_type: ArchiveType, posted: str, data: Any) -> dict[str, Any]:
    """Every section's form: the posted one bound to the request, the others initial."""
    from dangan.disposal.services import disposal_spec_of

    def bound(section: str) -> Any:
        return data if posted == section else None

    codes = [(item.code, item.name) for item in archive_type.items.order_by("position", "id")]
    disposal = disposal_spec_of(archive_type)
    return {
        "fields": FieldRows(
            bound("fields"), prefix="fields", initial=rule_forms.field_rows_initial(archive_type)
        ),
        "deadline": rule_forms.DeadlineForm(
            bound("deadline"),
            prefix="deadline",
            initial=rule_forms.DeadlineForm.initial_of(archive_type.deadline or {}),
            date_fields=rule_forms.date_fields_of(archive_type),
        ),
        "consistency": ConsistencyRows(
            bound("consistency"),
            prefix="consistency",
            initial=list(archive_type.consistency or []),
            form_kwargs={
                "field_choices": rule_forms.comparable_fields_of(archive_type),
                "document_choices": codes,
            },
        ),
        "penalties": PenaltyRows(
            bound("penalties"), prefix="penalties", initial=list(archive_type.penalties or [])
        ),
        "retention": rule_forms.RetentionForm(
            bound("retention"),
            prefix="retention",
            items=[
                (item.code, item.name, item.retention)
                for item in archive_type.items.order_by("position", "id")
            ],
            initial={
                "numbering": archive_type.numbering,
                "retention": archive_type.retention,
                "cross_year": archive_type.cross_year,
                "trigger": disposal.trigger,
                "hold_months": disposal.hold_months,
            },
        ),
        "change_control": rule_forms.ChangeControlForm(
            bound("change_control"), prefix="change_control", archive_type=archive_type
        ),
        "confirm": rule_forms.ConfirmForm(
            bound("confirm"),
            prefix="confirm",
            initial=rule_forms.ConfirmForm.initial_of(archive_type),
        ),
    }


def _section_value(section: str, form: Any, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The changes a valid section form makes to the type's rules (`snapshot`: the rules
    as they stand)."""
    if section == "deadline":
        return {"deadline": form.value()}
    if section in ("change_control", "confirm"):
        return {section: form.value()}
    if section == "retention":
        data = form.cleaned_data
        kept = form.item_retentions()
        return {
            "numbering": data["numbering"],
            "retention": data["retention"],
            "cross_year": data["cross_year"],
            "disposal": {"trigger": data["trigger"], "hold_months": data["hold_months"]},
            "checklist": [
                {**item, "retention": kept.get(item["code"], item.get("retention", ""))}
                for item in snapshot["checklist"]
            ],
        }
    rows = [row.value() for row in form.forms]  # blank extra rows and removed ones: None
    return {section: [row for row in rows if row is not None]}


@login_required
@app_errors
def type_rules(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    archive_type = get_object_or_404(ArchiveType, pk=pk)
    posted = request.POST.get("section", "") if request.method == "POST" else ""
    if posted and posted not in SECTIONS:
        posted = ""
    sections = _type_forms(archive_type, posted, request.POST)
    errors: list[str] = []
    if posted:
        form = sections[posted]
        if form.is_valid():
            snapshot = services.archive_type_snapshot(archive_type)
            data = {**snapshot, **_section_value(posted, form, snapshot)}
            if posted == "deadline" and archive_type.deadline_variants:
                data.pop("deadline")  # the type's choices decide; picked on the type's page
            try:
                services.archive_type_rules_save(
                    actor=actor_of(request), archive_type=archive_type, data=data
                )
            except ApplicationError as exc:
                errors = _messages_of(exc)
            else:
                messages.success(request, _("规则已保存,已记录为新版本"))
                return redirect(reverse("rules:type_rules", args=[pk]) + f"#{posted}")
        else:
            errors = [_("请检查下面标出的内容")]
    return render(
        request,
        "rules/type_rules.html",
        {
            "archive_type": archive_type,
            "forms": sections,
            "posted": posted,
            "errors": errors,
            "variants": archive_type.deadline_variants,
            "versions": selectors.rule_versions(RuleVersion.Subject.ARCHIVE_TYPE, archive_type.pk)[
                :20
            ],
            "section": "types",
        },
    )


# --- approval rules ----------------------------------------------------------------------


def _roles() -> list[tuple[str, str]]:
    return list(Role.objects.order_by("id").values_list("code", "name"))


def _departments() -> list[tuple[int, str]]:
    return list(Department.objects.order_by("name").values_list("pk", "name"))


@login_required
@app_errors
def approval_rules(request: HttpRequest) -> HttpResponse:
    selectors.may_read_rules(request.user)
    preview_form = rule_forms.PreviewForm(
        request.GET if "kind" in request.GET else None,
        roles=_roles(),
        departments=_departments(),
        initial={"kind": "view", "confidentiality": "normal", "relation": "other"},
    )
    preview = None
    preview_error = ""
    if preview_form.is_bound and preview_form.is_valid():
        try:
            preview = selectors.approval_preview(actor=request.user, **preview_form.cleaned_data)
        except ApplicationError as exc:
            preview_error = str(exc.message)
    names = dict(_roles())
    levels = dict(Dossier.Confidentiality.choices)
    rules = [
        {
            "rule": rule,
            "level": levels.get(rule.confidentiality, rule.confidentiality),
            "role": names.get(rule.requester_role, rule.requester_role),
            "steps": [
                (names.get(s.get("role"), s.get("role")), s.get("department"))
                for s in rule.steps or []
            ],
        }
        for rule in selectors.approval_rules()
    ]
    context = {
        "rules": rules,
        "preview_form": preview_form,
        "preview": preview,
        "preview_error": preview_error,
        "can_manage": policy.has_perm(request.user, perms.ARCHIVE_TYPE_MANAGE),
        "section": "types",
    }
    if is_htmx(request) and preview_form.is_bound:
        return render(request, "rules/approval_rules.html#preview", context)
    return render(request, "rules/approval_rules.html", context)


def _rule_page(request: HttpRequest, rule: ApprovalRule | None) -> HttpResponse:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    initial = rule_forms.ApprovalRuleForm.initial_of(rule) if rule else {"is_active": True}
    form = rule_forms.ApprovalRuleForm(request.POST or None, roles=_roles(), initial=initial)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                rule = services.approval_rule_create(actor=actor_of(request), data=form.value())
            else:
                rule = services.approval_rule_update(
                    actor=actor_of(request), rule=rule, data=form.value()
                )
        except ApplicationError as exc:
            errors = _messages_of(exc)
        else:
            messages.success(request, _("审批规则已保存,已记录为新版本"))
            return redirect("rules:approval_rules")
    versions = selectors.rule_versions(RuleVersion.Subject.APPROVAL_RULE, rule.pk) if rule else []
    return render(
        request,
        "rules/approval_rule_edit.html",
        {"form": form, "rule": rule, "errors": errors, "versions": versions, "section": "types"},
    )


@login_required
@app_errors
def approval_rule_new(request: HttpRequest) -> HttpResponse:
    return _rule_page(request, None)


@login_required
@app_errors
def approval_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_page(request, get_object_or_404(ApprovalRule, pk=pk))


@login_required
@require_POST
@app_errors
def approval_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    rule = get_object_or_404(ApprovalRule, pk=pk)
    try:
        services.approval_rule_delete(actor=actor_of(request), rule=rule)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("rules:approval_rule_edit", pk)
    messages.success(request, _("审批规则已删除"))
    return redirect("rules:approval_rules")
