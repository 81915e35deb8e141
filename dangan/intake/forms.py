"""Forms check shape only; business rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.archives.models import ArchiveType
from dangan.intake.models import Finding, Holiday

TRISTATE = [("", _("未核对")), ("1", _("是")), ("0", _("否"))]


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *Finding.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部")), *Finding.Kind.choices]
    )
    person = forms.ModelChoiceField(
        label=_("责任人"), required=False, queryset=User.objects.none(), empty_label=_("全部")
    )
    archive_type = forms.ModelChoiceField(
        label=_("档案类型"),
        required=False,
        queryset=ArchiveType.objects.order_by("id"),
        empty_label=_("全部"),
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["person"].queryset = people  # type: ignore[attr-defined]

    def params(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "person": str(data["person"].pk) if data.get("person") else "",
            "archive_type": str(data["archive_type"].pk) if data.get("archive_type") else "",
        }


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("意见"), max_length=200, required=False)


class MonthForm(forms.Form):
    month = forms.RegexField(label=_("月份"), regex=r"^\d{4}-\d{2}$", max_length=7)


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类别"), choices=Holiday.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=40, required=False)


class DocumentCheckForm(forms.Form):
    """One document's facts; the value fields are the type's consistency fields."""

    stamped = forms.TypedChoiceField(
        label=_("盖章"),
        choices=TRISTATE,
        required=False,
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    signed = forms.TypedChoiceField(
        label=_("签字"),
        choices=TRISTATE,
        required=False,
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    copies = forms.IntegerField(label=_("份数"), required=False, min_value=0, max_value=99)

    def __init__(self, *args: Any, value_fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.value_keys = [key for key, _label in value_fields]
        for key, label in value_fields:
            self.fields[f"v_{key}"] = forms.CharField(label=label, max_length=200, required=False)

    def values(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"v_{key}") or "" for key in self.value_keys}


class FindingRecordForm(forms.Form):
    """A non-conformity the clerk records by hand (what no document shows)."""

    kind = forms.ChoiceField(label=_("类别"), choices=())
    detail = forms.CharField(
        label=_("说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如:接修时未核对进厂联系人电话;交车检验单缺服务顾问签字;档案袋借出后遗失"),
    )
    rule = forms.CharField(
        label=_("违反的规则"),
        max_length=300,
        required=False,
        help_text=_("留空则按该档案类型的罚款规则填写"),
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]
