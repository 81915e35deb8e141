"""Forms for use of the archive: shape only; the services decide (STYLE 7)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.circulation.models import RequestKind
from dangan.documents.models import Document

KIND_LABELS = {
    RequestKind.VIEW: _("在线查阅"),
    RequestKind.BORROW: _("借出纸质档案"),
    RequestKind.COPY: _("复制或导出"),
}


class MomentField(forms.Field):
    """A date-time (datetime-local) or a date meaning the end of that day (local time)."""

    default_error_messages = {"invalid": _("请填写有效的日期和时间,如 2026-12-31 17:00")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "datetime-local"}))
        # The browser's input asks for both; a date alone (the API, a typed value) still
        # means the end of that day.
        kwargs.setdefault("help_text", _("选择日期和时间"))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.datetime | None:
        text = str(value or "").strip()[:40]
        if not text:
            return None
        try:
            moment = parse_datetime(text)
            if moment is None and (day := parse_date(text)) is not None:
                moment = datetime.datetime.combine(day, datetime.time(23, 59, 59))
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


def moment_input(moment: datetime.datetime) -> str:
    """A value for a datetime-local input."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class RequestForm(forms.Form):
    dossier = forms.CharField(label=_("档案"), max_length=64, help_text=_("档号(或档案编号)"))
    kind = forms.ChoiceField(
        label=_("申请类型"),
        choices=[(value, label) for value, label in KIND_LABELS.items()],
        widget=forms.RadioSelect,
        initial=RequestKind.VIEW,
    )
    documents = forms.TypedMultipleChoiceField(
        label=_("文件(不选则为整卷)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(
        label=_("用途"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    until = MomentField(label=_("期限至"))

    def __init__(self, *args: Any, documents: list[Document] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["documents"]
        if isinstance(field, forms.TypedMultipleChoiceField):  # always; narrows the type
            field.choices = [
                (doc.pk, f"{doc.piece_number}. {doc.title}") for doc in (documents or [])
            ]


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("意见"), max_length=500, required=False)


class BorrowerField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.username})"


class LendForm(forms.Form):
    dossier = forms.CharField(label=_("档案"), max_length=64, help_text=_("档号(或档案编号)"))
    borrower = BorrowerField(
        label=_("借阅人"), queryset=User.objects.none(), empty_label=_("请选择")
    )
    due = MomentField(label=_("应还时间"))
    request = forms.IntegerField(
        label=_("借阅申请"), required=False, min_value=1, widget=forms.HiddenInput
    )
    without_originals = forms.BooleanField(
        label=_("不含原件借出(原始资料留存档案室,列入借阅单)"), required=False, initial=True
    )
    documents = forms.TypedMultipleChoiceField(
        label=_("只借出所选文件(不选则按上一项)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    walk_in = forms.BooleanField(
        label=_("现场借阅:无事先申请,按审批规则当场登记审批"), required=False
    )
    purpose = forms.CharField(
        label=_("用途(现场借阅必填)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, documents: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["borrower"]
        if isinstance(field, forms.ModelChoiceField):  # always; narrows the type
            field.queryset = policy.people_who_may_hold(policy.BORROWER)
        pieces = self.fields["documents"]
        if isinstance(pieces, forms.TypedMultipleChoiceField):  # always; narrows the type
            pieces.choices = documents or []


class RenewForm(forms.Form):
    due = MomentField(label=_("新的应还时间"))


class ReturnForm(forms.Form):
    complete = forms.BooleanField(label=_("页数与物品完整"), required=False, initial=True)
    note = forms.CharField(label=_("说明(不完整时必填)"), max_length=500, required=False)
    damage_note = forms.CharField(label=_("损坏情况"), max_length=500, required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=200, required=False)
