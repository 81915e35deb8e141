"""Reading the audit trail: one filter for the auditor's page, its export and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.audit.labels import ACTION_LABELS, action_label, object_type_label
from dangan.audit.models import AuditEntry
from dangan.core.errors import ValidationFailed

__all__ = ["ACTION_LABELS", "action_label"]


def _distinct(column: str) -> list[str]:
    values = AuditEntry.objects.order_by(column).values_list(column, flat=True).distinct()
    return [v for v in values if v]


class AuditFilterForm(forms.Form):
    """The filters' shape. Query keys are the API's: actor, action, object_type,
    object_id, outcome, from, to, q. Text filters accept any value (an action nobody has
    done yet simply matches nothing; NUL is refused by CharField); the page offers the
    values present as choices."""

    actor = forms.CharField(label=_("用户"), required=False, max_length=150)
    action = forms.CharField(label=_("操作"), required=False, max_length=40)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=40)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=40)
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *AuditEntry.Outcome.choices]
    )
    q = forms.CharField(label=_("对象名称包含"), required=False, max_length=100)

    def __init__(self, *args: Any, with_choices: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the date fields are added here.
        date = forms.DateInput(attrs={"type": "date"})
        self.fields["from"] = forms.DateField(label=_("起始日期"), required=False, widget=date)
        self.fields["to"] = forms.DateField(label=_("截止日期"), required=False, widget=date)
        if with_choices:
            everything: list[tuple[str, Any]] = [("", _("全部"))]
            actions: list[tuple[str, Any]] = [(a, action_label(a)) for a in _distinct("action")]
            types: list[tuple[str, Any]] = [
                (t, object_type_label(t)) for t in _distinct("object_type")
            ]
            self.fields["action"].widget = forms.Select(choices=everything + actions)
            self.fields["object_type"].widget = forms.Select(choices=everything + types)
            self.fields["actor"].widget.attrs["list"] = "audit-users"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("截止日期不能早于起始日期"))
        return data


def audit_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Validated filters from query parameters, or ValidationFailed naming each field."""
    form = AuditFilterForm(params)
    if not form.is_valid():
        raise ValidationFailed({k: str(v[0]) for k, v in form.errors.items()})
    return {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of a calendar date in the server's time zone (the auditor's dates)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def audit_list(actor: Any, *, filters: Mapping[str, Any]) -> QuerySet[AuditEntry]:
    """The trail, newest first, narrowed by `filters` (cleaned values of AuditFilterForm)."""
    policy.require(actor, perms.AUDIT_VIEW)
    entries = AuditEntry.objects.order_by("-seq")
    if value := filters.get("actor"):
        entries = entries.filter(actor_name=value)
    for key in ("action", "object_type", "object_id", "outcome"):
        if value := filters.get(key):
            entries = entries.filter(**{key: value})
    if value := filters.get("from"):
        entries = entries.filter(at__gte=_day_start(value))
    if value := filters.get("to"):
        entries = entries.filter(at__lt=_day_start(value + dt.timedelta(days=1)))
    if value := filters.get("q"):
        entries = entries.filter(object_repr__icontains=value)
    return entries


def filters_for_record(filters: Mapping[str, Any]) -> dict[str, str]:
    """The filters as plain text, for the audit entry of an export."""
    return {k: str(v) for k, v in filters.items() if v not in ("", None)}
