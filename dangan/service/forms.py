"""Forms check shape only; the services decide (STYLE 7)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.service.models import Contact, Notice, Ticket, TicketCategory, Transaction
from dangan.service.services import subject_of

DATE = forms.DateInput(attrs={"type": "date"})


class TicketForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=TicketCategory.objects.filter(is_active=True),
        to_field_name="code",
    )
    source = forms.ChoiceField(label=_("来源"), choices=Ticket.Source.choices)
    dossier = forms.TypedChoiceField(
        label=_("房号/车辆(档案)"), coerce=int, required=False, empty_value=None
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    description = forms.CharField(
        label=_("内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    handler = forms.ModelChoiceField(
        label=_("处理人"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, dossiers: Any = (), handlers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dossier_field = self.fields["dossier"]
        if not isinstance(dossier_field, forms.ChoiceField):  # pragma: no cover - declared above
            raise TypeError(dossier_field)
        dossier_field.choices = [("", _("不关联"))] + [
            (d.pk, f"{d.archive_number} {d.archive_type.name} {subject_of(d)}".strip())
            for d in dossiers
        ]
        if handlers is not None:
            handler_field = self.fields["handler"]
            if not isinstance(handler_field, forms.ModelChoiceField):  # pragma: no cover
                raise TypeError(handler_field)
            handler_field.queryset = handlers


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=[(c, c) for c in [*Ticket.Status.values, Ticket.REOPEN]])
    note = forms.CharField(max_length=2000, required=False)
    outcome = forms.CharField(max_length=5000, required=False)
    satisfaction = forms.TypedChoiceField(
        choices=[("", "")] + [(str(v), str(v)) for v, _label in Ticket.SATISFACTION],
        coerce=int,
        required=False,
        empty_value=None,
    )


class AttachForm(forms.Form):
    file = forms.FileField(label=_("文件"))
    title = forms.CharField(label=_("题名"), max_length=200, required=False)


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=Contact.Kind.choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    people = forms.CharField(label=_("参与人员"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("内容摘要"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up = forms.DateField(label=_("跟进日期"), required=False, widget=DATE)


class TransactionForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Transaction.Kind.choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    amount = forms.DecimalField(
        label=_("金额(元)"), max_digits=14, decimal_places=2, required=False
    )
    method = forms.ChoiceField(
        label=_("付款方式"), choices=[("", "—"), *Transaction.Method.choices], required=False
    )
    contract_number = forms.CharField(label=_("合同编号"), max_length=64, required=False)
    reason_lost = forms.CharField(label=_("未成交原因"), max_length=200, required=False)
    note = forms.CharField(label=_("备注"), max_length=500, required=False)


class StayForm(forms.Form):
    arrival = forms.DateField(label=_("入住日期"), widget=DATE)
    departure = forms.DateField(label=_("离店日期"), widget=DATE)
    room = forms.CharField(label=_("房间"), max_length=40, required=False)
    spend = forms.DecimalField(label=_("消费(元)"), max_digits=12, decimal_places=2, required=False)
    preferences = forms.CharField(
        label=_("观察到的偏好"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoticeForm(forms.Form):
    direction = forms.ChoiceField(label=_("方向"), choices=Notice.Direction.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(
        label=_("内容"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("接收人"),
        queryset=User.objects.filter(is_active=True).order_by("department__name", "username"),
        widget=forms.CheckboxSelectMultiple,
    )
