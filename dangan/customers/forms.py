"""Forms check shape only; the services decide what is allowed (STYLE convention 7)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import Department, User
from dangan.customers.models import Customer, RelatedPerson


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("关键字"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("姓名或拼音首字母、手机号、证件号后4至6位、档号")}
        ),
    )
    kind = forms.ChoiceField(
        label=_("客户类型"), required=False, choices=[("", _("全部")), *Customer.Kind.choices]
    )
    tier = forms.ChoiceField(
        label=_("客户等级"), required=False, choices=[("", _("全部")), *Customer.Tier.choices]
    )
    stage = forms.ChoiceField(
        label=_("客户阶段"), required=False, choices=[("", _("全部")), *Customer.Stage.choices]
    )
    department = forms.ModelChoiceField(
        label=_("部门"), required=False, queryset=Department.objects.all(), empty_label=_("全部")
    )
    owner = forms.ModelChoiceField(
        label=_("客户经理"), required=False, queryset=User.objects.none(), empty_label=_("全部")
    )

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("客户类型"),
        choices=Customer.Kind.choices,
        widget=forms.RadioSelect,
        initial=Customer.Kind.INDIVIDUAL,
    )
    name = forms.CharField(label=_("客户名称 / 姓名"), max_length=100)
    id_type = forms.ChoiceField(
        label=_("证件类型"),
        required=False,
        choices=[("", "—"), *Customer.IdType.choices],
        initial=Customer.IdType.RESIDENT_ID,
    )
    id_number = forms.CharField(label=_("证件号码"), required=False, max_length=40)
    mobile = forms.CharField(label=_("手机号码"), required=False, max_length=20)
    phone = forms.CharField(label=_("其他电话"), required=False, max_length=32)
    gender = forms.ChoiceField(
        label=_("性别"), required=False, choices=[("", "—"), *Customer.Gender.choices]
    )
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    uscc = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=30)
    uscc_override_reason = forms.CharField(
        label=_("校验未通过时的确认理由"),
        required=False,
        max_length=200,
        help_text=_("个别已发放的信用代码不符合校验规则;确认无误时请说明理由"),
    )
    legal_representative = forms.CharField(label=_("法定代表人"), required=False, max_length=64)
    registered_capital = forms.DecimalField(
        label=_("注册资本(万元)"), required=False, max_digits=14, decimal_places=2
    )
    industry = forms.CharField(label=_("所属行业"), required=False, max_length=64)
    scale = forms.CharField(label=_("规模"), required=False, max_length=64)
    tier = forms.ChoiceField(
        label=_("客户等级"), required=False, choices=[("", "—"), *Customer.Tier.choices]
    )
    stage = forms.ChoiceField(
        label=_("客户阶段"), required=False, choices=[("", "—"), *Customer.Stage.choices]
    )
    category = forms.ChoiceField(
        label=_("客户性质"), required=False, choices=[("", "—"), *Customer.Category.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("客户经理"), queryset=User.objects.none(), required=False, empty_label=_("(本人)")
    )
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea)

    INDIVIDUAL_FIELDS = ("id_type", "id_number", "gender", "birth_date")
    ORGANIZATION_FIELDS = (
        "uscc",
        "uscc_override_reason",
        "legal_representative",
        "registered_capital",
        "industry",
        "scale",
    )

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        """Cleaned data as the service takes it (blank optional values dropped)."""
        data = dict(self.cleaned_data)
        skip = (
            self.ORGANIZATION_FIELDS
            if data["kind"] == Customer.Kind.INDIVIDUAL
            else self.INDIVIDUAL_FIELDS
        )
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in skip or value in ("", None):
                continue
            out[key] = value
        return out


class RelatedPersonForm(forms.Form):
    relation = forms.ChoiceField(label=_("关系"), choices=RelatedPerson.Relation.choices)
    name = forms.CharField(label=_("姓名"), max_length=64)
    title = forms.CharField(label=_("职务"), required=False, max_length=64)
    mobile = forms.CharField(label=_("手机号码"), required=False, max_length=20)
    id_number = forms.CharField(label=_("身份证号码"), required=False, max_length=40)


class CreditForm(forms.Form):
    """Finance's form: a customer's credit rating and limit (seed 001)."""

    credit_rating = forms.ChoiceField(
        label=_("信用等级"),
        required=False,
        choices=[("", "—"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
    )
    credit_limit = forms.DecimalField(
        label=_("授信额度(元)"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    note = forms.CharField(label=_("依据/备注"), required=False, max_length=200)
