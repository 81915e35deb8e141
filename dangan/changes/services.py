"""Change control of filed records: recording each changed field, opening change requests
for changes that need approval, and deciding them through the shared approval engine
(circulation.approvals, described to it by changes.approval).

The changes themselves are made by the update services of their records
(archives.services.dossier_update, customers.services.customer_update): they validate,
ask `required_level` what the change needs, and then either apply it and call
`record` or hand it to `request_open`. An approved request is applied by the same
update service, called from `change_request_approve` with the request."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.archives import numbering
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.changes import control
from dangan.changes.approval import OWN, ChangeSubject
from dangan.changes.models import ChangeRecord, ChangeRequest, ObjectType
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep, RuleKind
from dangan.circulation.rules import choose_rule
from dangan.core import crypto
from dangan.core.errors import ApplicationError, InvalidTransition
from dangan.customers.models import Customer
from dangan.rules.services import approval_rule_version

REQUEST_NUMBERING = "{code}-{year}-{seq:4}"
REQUEST_CODE = "BG"
# Fields whose values are kept encrypted wherever a change is stored.
SENSITIVE = frozenset({"id_number"})


def jsonable(value: Any) -> Any:
    """A value as JSON stores and gives it back (dates as text, decimals as text)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def require_reason(level: str, reason: str) -> str:
    """The reason, stripped; refused by name when the change needs one and has none."""
    reason = (reason or "").strip()
    if level != control.FREE and not reason:
        raise ApplicationError(_("此项修改须填写修改原因"), field="reason")
    if len(reason) > 1000:
        raise ApplicationError(_("修改原因不超过 1000 字"), field="reason")
    return reason


# --- field-level history -------------------------------------------------------------


def _stored(field: str, value: Any) -> Any:
    if field in SENSITIVE:
        return crypto.encrypt(str(value)) if value else ""
    return jsonable(value)


def record(
    *,
    changed_by: User,
    customer: Customer | None,
    dossier: Dossier | None,
    before: dict[str, Any],
    after: dict[str, Any],
    levels: dict[str, str],
    reason: str,
    approved_by: User | None = None,
    request: ChangeRequest | None = None,
) -> list[ChangeRecord]:
    """One ChangeRecord per changed field, in the caller's transaction."""
    now = timezone.now()
    return ChangeRecord.objects.bulk_create(
        ChangeRecord(
            object_type=ObjectType.DOSSIER if dossier is not None else ObjectType.CUSTOMER,
            dossier=dossier,
            customer=customer,
            field=field,
            before=_stored(field, before.get(field)),
            after=_stored(field, after.get(field)),
            sensitive=field in SENSITIVE,
            level=levels.get(field, control.APPROVAL),
            reason=reason,
            changed_by=changed_by,
            changed_at=now,
            approved_by=approved_by,
            request=request,
        )
        for field in after
    )


# --- change requests -----------------------------------------------------------------


def encode_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A change as a request stores it: objects by id, identity numbers encrypted."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in SENSITIVE:
            out[key] = {"encrypted": crypto.encrypt(str(value or ""))}
        elif hasattr(value, "pk"):
            out[key] = value.pk
        else:
            out[key] = jsonable(value)
    return out


def decode_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The stored change as the customer's update service takes it."""
    from dangan.accounts.models import Department

    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in SENSITIVE and isinstance(value, dict):
            out[key] = crypto.decrypt(value["encrypted"]) if value.get("encrypted") else ""
        elif key == "owner":
            out[key] = User.objects.filter(pk=value).first()
        elif key == "department":
            out[key] = Department.objects.filter(pk=value).first() if value else None
        elif key in ("registered_capital", "credit_limit"):
            out[key] = Decimal(str(value)) if value not in (None, "") else None
        elif key == "birth_date":
            out[key] = datetime.date.fromisoformat(value) if value else None
        else:
            out[key] = value
    return out


def _notify_requester(request: ChangeRequest) -> None:
    from dangan.circulation.services import notify

    notify(
        user=request.requester,
        text=gettext("您的修改申请 %(req)s %(status)s")
        % {"req": request.number, "status": request.get_status_display()},
        link=reverse("changes:list"),
    )


def subject_name(request: ChangeRequest) -> str:
    if request.dossier is not None:
        return gettext("档案 %(n)s") % {"n": request.dossier.archive_number}
    return gettext("客户 %(n)s") % {"n": request.customer.name if request.customer else ""}


def request_open(
    *,
    actor: User,
    customer: Customer | None,
    dossier: Dossier | None,
    changes: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
) -> ChangeRequest:
    """Ask for approval of a change the update service has validated (its rows locked,
    nothing written); the approval chain comes from the first matching rule (kind
    "change"). Called in the update service's transaction."""
    if customer is None and dossier is None:
        raise ApplicationError(_("修改申请须指明档案或客户"), field="object_id")
    rule = choose_rule(actor=actor, kind=RuleKind.CHANGE, field="reason")
    if not rule.steps:  # the rules' schema refuses such a rule; fail closed all the same
        raise ApplicationError(
            _("审批规则“%(rule)s”没有审批步骤,请联系档案管理员") % {"rule": rule.name},
            field="reason",
        )
    now = timezone.now()
    number = numbering.allocate(
        REQUEST_NUMBERING, numbering.NumberContext(code=REQUEST_CODE, date=timezone.localdate())
    )
    request = ChangeRequest.objects.create(
        number=number,
        object_type=ObjectType.DOSSIER if dossier is not None else ObjectType.CUSTOMER,
        dossier=dossier,
        customer=customer,
        changes=encode_changes(changes),
        before=encode_changes(before),
        after=encode_changes(after),
        reason=reason,
        requester=actor,
        rule=rule,
        rule_version=approval_rule_version(rule),
    )
    steps = approvals.chain_open(ChangeSubject(request), rule, now=now, field="reason")
    audit_record(
        actor=actor,
        action="change_request",
        obj=dossier if dossier is not None else customer,
        detail={
            "request": number,
            "fields": sorted(after),
            "reason": reason,
            "rule": rule.name,
            "rule_version": request.rule_version.number if request.rule_version else None,
            "steps": [f"{s.role}@{s.department or '*'}" for s in steps],
        },
    )
    return request


def _lock(request: ChangeRequest) -> ChangeRequest:
    return (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("dossier", "customer", "requester")
        .get(pk=request.pk)
    )


def _decidable(actor: User, request: ChangeRequest) -> ApprovalStep:
    if not request.can_move_to(ChangeRequest.Status.APPLIED):
        raise InvalidTransition(
            _("该修改申请已办结(%(status)s)") % {"status": request.get_status_display()}
        )
    return approvals.decidable_step(actor, ChangeSubject(request), own=OWN)


@refusals_audited("approve", "change_request")
@transaction.atomic
def change_request_approve(
    *, actor: User, change_request: ChangeRequest, note: str = ""
) -> ChangeRequest:
    """Sign the current step; on the last one the change is applied by the update
    service of its record, with the approver recorded. A field changed since the request
    was made refuses the approval (stale): it is denied and asked again."""
    request = _lock(change_request)
    step = _decidable(actor, request)
    now = timezone.now()
    complete = (
        approvals.step_approve(ChangeSubject(request), step, actor=actor, note=note, now=now)
        is None
    )
    audit_record(
        actor=actor,
        action="approve",
        obj=request,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    if complete:
        _apply(actor, request)
        request.status = ChangeRequest.Status.APPLIED
        request.decided_at = now
        request.save(update_fields=["status", "decided_at"])
        _notify_requester(request)
    return request


def _apply(actor: User, request: ChangeRequest) -> None:
    # The update services build on this module: imported here, not at the top.
    from dangan.archives.services import dossier_update, flat_dossier
    from dangan.customers.services import customer_update, flat_customer

    if request.dossier is not None:
        dossier = Dossier.objects.select_for_update().get(pk=request.dossier.pk)
        _refuse_stale(request, jsonable(flat_dossier(dossier)), dossier_labels(dossier))
        dossier_update(
            actor=actor, dossier=dossier, changes=request.changes, change_request=request
        )
        return
    customer = Customer.objects.select_for_update().get(pk=request.customer_id or 0)
    _refuse_stale(request, encode_changes(flat_customer(customer, list(request.before))), {})
    customer_update(
        actor=actor,
        customer=customer,
        changes=decode_changes(request.changes),
        change_request=request,
    )


def _refuse_stale(request: ChangeRequest, current: dict[str, Any], labels: dict[str, str]) -> None:
    for field, value in request.before.items():
        now = current.get(field)
        if field in SENSITIVE and isinstance(value, dict) and isinstance(now, dict):
            value = crypto.decrypt(value["encrypted"]) if value.get("encrypted") else ""
            now = crypto.decrypt(now["encrypted"]) if now.get("encrypted") else ""
        if now != value:
            raise InvalidTransition(
                _("申请提出后,“%(field)s”已被修改;此申请已过时,请驳回后重新申请")
                % {"field": labels.get(field) or customer_label(field)}
            )


@refusals_audited("deny", "change_request")
@transaction.atomic
def change_request_deny(*, actor: User, change_request: ChangeRequest, note: str) -> ChangeRequest:
    """Deny at the current step; the request ends there and nothing is changed."""
    request = _lock(change_request)
    step = _decidable(actor, request)
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("请填写驳回理由"), field="note")
    now = timezone.now()
    approvals.step_deny(ChangeSubject(request), step, actor=actor, note=note, now=now)
    request.status = ChangeRequest.Status.DENIED
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action="deny",
        obj=request,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    _notify_requester(request)
    return request


# --- labels --------------------------------------------------------------------------


def dossier_labels(dossier: Dossier) -> dict[str, str]:
    """What a reader calls each field of a dossier's history."""
    labels = {
        "title": str(Dossier._meta.get_field("title").verbose_name),
        "confidentiality": str(Dossier._meta.get_field("confidentiality").verbose_name),
        "location": gettext("存放位置"),
    }
    for spec in dossier.archive_type.field_schema():
        labels[f"fields.{spec['key']}"] = str(spec.get("label") or spec["key"])
    return labels


def customer_label(field: str) -> str:
    if field == "id_number":
        return gettext("证件号码")
    try:
        model_field = Customer._meta.get_field(field)
    except Exception:  # a field no longer on the model: its name
        return field
    return str(getattr(model_field, "verbose_name", field))


def fields_of(changes: Iterable[str]) -> list[str]:
    return sorted(changes)
