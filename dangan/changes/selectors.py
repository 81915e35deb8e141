"""Reading change control: the 变更记录 of a dossier or a customer (field by field, masked
as the reader's role requires, pending requests included, the dossier's status changes
merged in) and the change requests waiting for a reader's signature."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.changes import services
from dangan.changes.models import ChangeRecord, ChangeRequest
from dangan.circulation import approvals
from dangan.core import crypto
from dangan.core.errors import NotFound
from dangan.core.identifiers import mask_generic, mask_resident_id
from dangan.customers.models import Customer

NOT_FOUND = "记录不存在或您无权查看"
# Customer fields shown as the policy masks phones (identity numbers: see _shown).
_PHONES = frozenset({"mobile", "phone"})


@dataclass
class HistoryRow:
    at: datetime.datetime
    kind: str  # "change", "pending" (a change request waiting) or "status"
    field: str
    label: str
    before: str
    after: str
    by: str
    reason: str
    approved_by: str = ""
    request: str = ""
    state: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "field": self.field,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "by": self.by,
            "reason": self.reason,
            "approved_by": self.approved_by,
            "request": self.request,
            "state": self.state,
        }


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return gettext("是")
    if value is False:
        return gettext("否")
    if isinstance(value, dict):  # a location: its parts, as a clerk reads them
        return " › ".join(str(v) for v in value.values() if v)
    return str(value)


def _identity_shown(actor: Any, value: Any, sensitive: bool) -> str:
    number = value
    if sensitive and isinstance(value, dict):
        number = crypto.decrypt(value["encrypted"]) if value.get("encrypted") else ""
    elif sensitive and isinstance(value, str) and value:
        number = crypto.decrypt(value)
    number = str(number or "")
    if not number or policy.can_see_identity(actor):
        return number
    return mask_resident_id(number) if len(number) == 18 else mask_generic(number, 2, 2)


def shown(actor: Any, field: str, value: Any, *, sensitive: bool, phone: bool = False) -> str:
    """A value of a change as the reader may see it: identity numbers and phones masked
    through the policy layer (STANDARDS 33) unless the reader's role sees them whole."""
    if field == "id_number":
        return _identity_shown(actor, value, sensitive)
    text = _text(value)
    if phone or field in _PHONES:
        return policy.shown_mobile(actor, text)
    return text


def _dossier_phones(dossier: Dossier) -> set[str]:
    return {
        f"fields.{spec['key']}"
        for spec in dossier.archive_type.field_schema()
        if spec.get("type") == "mobile"
    }


def _name(user: User | None) -> str:
    return str(user) if user is not None else ""


def dossier_history(actor: Any, dossier: Dossier) -> list[HistoryRow]:
    """Newest first. The caller has opened the dossier through the policy layer."""
    labels = services.dossier_labels(dossier)
    phones = _dossier_phones(dossier)
    rows = [
        HistoryRow(
            at=r.changed_at,
            kind="change",
            field=r.field,
            label=labels.get(r.field, r.field),
            before=_dossier_value(actor, r.field, r.before, r.sensitive, phones),
            after=_dossier_value(actor, r.field, r.after, r.sensitive, phones),
            by=_name(r.changed_by),
            reason=r.reason,
            approved_by=_name(r.approved_by),
            request=r.request.number if r.request is not None else "",
        )
        for r in ChangeRecord.objects.filter(dossier=dossier).select_related(
            "changed_by", "approved_by", "request"
        )
    ]
    for request in _pending(ChangeRequest.objects.filter(dossier=dossier)):
        for field in request.after:
            rows.append(
                _pending_row(
                    request,
                    field,
                    labels.get(field, field),
                    _dossier_value(actor, field, request.before.get(field), True, phones),
                    _dossier_value(actor, field, request.after.get(field), True, phones),
                )
            )
    rows += status_rows(dossier)
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows


def _dossier_value(actor: Any, field: str, value: Any, sensitive: bool, phones: set[str]) -> str:
    if field == "confidentiality" and value in Dossier.Confidentiality.values:
        return str(Dossier.Confidentiality(value).label)
    return shown(actor, field, value, sensitive=sensitive, phone=field in phones)


def status_rows(dossier: Dossier) -> list[HistoryRow]:
    """The dossier's status changes, from the status history its transition table keeps
    (archives.lifecycle.status_history, issue 23 §1), merged into the change history."""
    from dangan.archives.lifecycle import status_history

    return [
        HistoryRow(
            at=entry.at,
            kind="status",
            field="status",
            label=gettext("状态"),
            before=_status_label(entry.from_status),
            after=_status_label(entry.to_status),
            by=_name(entry.actor),
            reason=gettext("%(reason)s(生效日期 %(day)s)")
            % {"reason": entry.reason, "day": entry.effective.isoformat()},
        )
        for entry in status_history(dossier)
    ]


def _status_label(value: str) -> str:
    try:
        return str(Dossier.Status(value).label)
    except ValueError:
        return value


def customer_history(actor: Any, customer: Customer) -> list[HistoryRow]:
    """Newest first, only the fields the reader may see (business staff: the name)."""
    allowed = policy.customer_fields_for(actor)
    records = ChangeRecord.objects.filter(customer=customer, dossier__isnull=True)
    rows = [
        HistoryRow(
            at=r.changed_at,
            kind="change",
            field=r.field,
            label=services.customer_label(r.field),
            before=shown(actor, r.field, r.before, sensitive=r.sensitive),
            after=shown(actor, r.field, r.after, sensitive=r.sensitive),
            by=_name(r.changed_by),
            reason=r.reason,
            approved_by=_name(r.approved_by),
            request=r.request.number if r.request is not None else "",
        )
        for r in records.select_related("changed_by", "approved_by", "request")
    ]
    pending = ChangeRequest.objects.filter(customer=customer, dossier__isnull=True)
    for request in _pending(pending):
        for field in request.after:
            before = _customer_pending_value(request.before.get(field), field)
            after = _customer_pending_value(request.after.get(field), field)
            rows.append(
                _pending_row(
                    request,
                    field,
                    services.customer_label(field),
                    shown(actor, field, before, sensitive=True),
                    shown(actor, field, after, sensitive=True),
                )
            )
    if allowed is not None:
        rows = [row for row in rows if row.field in allowed]
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows


def _customer_pending_value(value: Any, field: str) -> Any:
    """Owners and departments are stored by id in a request: shown by name."""
    if field in ("owner", "department") and value:
        decoded = services.decode_changes({field: value})[field]
        return str(decoded) if decoded is not None else value
    return value


def _pending(requests: QuerySet[ChangeRequest]) -> list[ChangeRequest]:
    return list(requests.filter(status=ChangeRequest.Status.PENDING).select_related("requester"))


def _pending_row(
    request: ChangeRequest, field: str, label: str, before: str, after: str
) -> HistoryRow:
    return HistoryRow(
        at=request.created_at,
        kind="pending",
        field=field,
        label=label,
        before=before,
        after=after,
        by=_name(request.requester),
        reason=request.reason,
        request=request.number,
        state=str(request.get_status_display()),
    )


# --- change requests -----------------------------------------------------------------


def change_requests_visible(actor: Any) -> QuerySet[ChangeRequest]:
    """Change requests the actor may read: about a record the actor may see, or asked
    by the actor."""
    if not isinstance(actor, User):
        return ChangeRequest.objects.none()
    visible = Q(dossier__in=policy.dossiers_for(actor).values("pk")) | Q(
        dossier__isnull=True, customer__in=policy.customers_for(actor).values("pk")
    )
    return ChangeRequest.objects.filter(visible | Q(requester=actor))


def access_change_request(actor: Any, pk: Any) -> ChangeRequest:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound(NOT_FOUND) from None
    found = (
        change_requests_visible(actor)
        .select_related("dossier", "customer", "requester")
        .filter(pk=key)
        .first()
    )
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def waiting_for(actor: Any) -> list[ChangeRequest]:
    """Pending change requests whose current step the actor may sign (never the actor's
    own), oldest first."""
    if not isinstance(actor, User):
        return []
    steps = (
        approvals.waiting_for(actor, "change_request")
        .filter(change_request__status=ChangeRequest.Status.PENDING)
        .exclude(change_request__requester=actor)
        .select_related(
            "change_request__dossier", "change_request__customer", "change_request__requester"
        )
        .order_by("change_request__created_at", "change_request_id")
    )
    return [step.change_request for step in steps if step.change_request is not None]


def asked_by(actor: Any) -> QuerySet[ChangeRequest]:
    if not isinstance(actor, User):
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(requester=actor).select_related("dossier", "customer")


def request_rows(actor: Any, request: ChangeRequest) -> list[dict[str, str]]:
    """Field, before, after of a change request, masked for the reader."""
    out = []
    labels = services.dossier_labels(request.dossier) if request.dossier is not None else {}
    phones = _dossier_phones(request.dossier) if request.dossier is not None else set()
    for field in request.after:
        if request.dossier is not None:
            before = _dossier_value(actor, field, request.before.get(field), True, phones)
            after = _dossier_value(actor, field, request.after.get(field), True, phones)
            label = labels.get(field, field)
        else:
            before = shown(
                actor,
                field,
                _customer_pending_value(request.before.get(field), field),
                sensitive=True,
            )
            after = shown(
                actor,
                field,
                _customer_pending_value(request.after.get(field), field),
                sensitive=True,
            )
            label = services.customer_label(field)
        out.append({"field": field, "label": label, "before": before, "after": after})
    return out
