"""The structured editors of the rules: one small form (or formset) per section, which
only shape the input; dangan.rules.schema checks what they make."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.archives.fields import FIELD_TYPES, REMIND_KINDS
from dangan.archives.models import ArchiveType, Dossier
from dangan.circulation.models import Relation, RuleKind
from dangan.disposal.models import DisposalRule
from dangan.intake.models import Finding
from dangan.rules import schema

FIELD_TYPE_LABELS = {
    "text": _("文本"),
    "vin": _("车架号"),
    "unit": _("房号"),
    "date": _("日期"),
    "number": _("整数"),
    "money": _("金额"),
    "bool": _("是/否"),
    "choice": _("选项"),
    "member_no": _("会员编号"),
    "mobile": _("手机号"),
}
REMIND_LABELS = {
    "anniversary": _("每年纪念日"),
    "move_in": _("入住日"),
    "contract_end": _("合同到期日"),
}
DEADLINE_KIND_LABELS = {
    "": _("无期限要求"),
    "working_days_after": _("某日期后 N 个工作日内"),
    "days_after": _("某日期后 N 日内"),
    "hours_after": _("某日期后 N 小时内"),
    "weekly": _("每周固定一天"),
    "monthly": _("次月某日前"),
}
WEEKDAYS = [(n, label) for n, label in enumerate(
    [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")], start=1
)]  # fmt: skip
PENALTY_GROUP_LABELS = {
    "missing_signature": _("无签字(同 no_signature)"),
    "incomplete": _("资料不全(缺件、错误、不一致、未盖章)"),
}
STEP_DEPARTMENT_CHOICES = [
    ("requester", _("申请人所在部门")),
    ("customer", _("客户所属部门")),
    ("any", _("不限部门")),
]
MAX_STEPS = 4


def _split(text: str) -> list[str]:
    for sep in ("、", ",", ",", ";", ";"):
        text = text.replace(sep, "\n")
    return [part.strip() for part in text.splitlines() if part.strip()]


class FieldRowForm(forms.Form):
    key = forms.CharField(label=_("字段代码"), max_length=40, required=False)
    label = forms.CharField(label=_("名称"), max_length=40, required=False)
    type = forms.ChoiceField(label=_("类型"), choices=list(FIELD_TYPE_LABELS.items()))
    required = forms.BooleanField(label=_("必填"), required=False)
    choices = forms.CharField(
        label=_("选项"), required=False, max_length=500, help_text=_("选项字段用顿号分隔")
    )
    help = forms.CharField(label=_("说明"), required=False, max_length=300)
    remind = forms.ChoiceField(
        label=_("提醒"), required=False, choices=[("", "—"), *REMIND_LABELS.items()]
    )
    remove = forms.BooleanField(label=_("删除"), required=False)

    def value(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("remove") or not (data.get("key") or data.get("label")):
            return None
        return {
            "key": data["key"].strip(),
            "label": data["label"].strip(),
            "type": data["type"],
            "required": bool(data.get("required")),
            "choices": _split(data.get("choices") or "") if data["type"] == "choice" else [],
            "help": data.get("help") or "",
            "remind": data.get("remind") or "",
        }


assert set(FIELD_TYPE_LABELS) == set(FIELD_TYPES)  # noqa: S101 - a new type needs a label here
assert set(REMIND_LABELS) == set(REMIND_KINDS)  # noqa: S101 - and a new reminder too


class DeadlineForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("期限类型"), choices=list(DEADLINE_KIND_LABELS.items()), required=False
    )
    field = forms.ChoiceField(label=_("起算日期"), required=False, choices=())
    days = forms.IntegerField(label=_("天数"), required=False)
    hours = forms.IntegerField(label=_("小时数"), required=False)
    weekday = forms.TypedChoiceField(
        label=_("星期"), choices=WEEKDAYS, coerce=int, required=False, initial=5
    )
    day = forms.IntegerField(label=_("每月日期"), required=False, initial=5)
    note = forms.CharField(
        label=_("依据与说明"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, date_fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("(建档日期)")), *date_fields]  # type: ignore[attr-defined]

    def value(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data.get("kind") or ""
        if not kind:
            return {}
        rule: dict[str, Any] = {"kind": kind}
        if data.get("field"):
            rule["field"] = data["field"]
        if kind in ("working_days_after", "days_after"):
            rule["days"] = data.get("days")
        if kind == "hours_after":
            rule["hours"] = data.get("hours")
        if kind == "weekly":
            rule["weekday"] = data.get("weekday") or 5
        if kind == "monthly":
            rule["day"] = data.get("day") or 1
        if data.get("note"):
            rule["note"] = data["note"]
        return rule

    @staticmethod
    def initial_of(rule: dict[str, Any]) -> dict[str, Any]:
        return {
            key: rule.get(key)
            for key in ("kind", "field", "days", "hours", "weekday", "day", "note")
        }


class ConsistencyRowForm(forms.Form):
    field = forms.ChoiceField(label=_("比对字段"), required=False, choices=())
    label = forms.CharField(label=_("说明"), required=False, max_length=300)
    documents = forms.MultipleChoiceField(
        label=_("须一致的文件"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    remove = forms.BooleanField(label=_("删除"), required=False)

    def __init__(
        self,
        *args: Any,
        field_choices: list[tuple[str, str]],
        document_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "—"), *field_choices]  # type: ignore[attr-defined]
        self.fields["documents"].choices = document_choices  # type: ignore[attr-defined]

    def value(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("remove") or not data.get("field"):
            return None
        return {
            "field": data["field"],
            "label": data.get("label") or "",
            "documents": list(data.get("documents") or []),
        }


def penalty_choices() -> list[tuple[str, Any]]:
    kinds = [(kind.value, kind.label) for kind in Finding.Kind]
    return [("", "—"), *kinds, *PENALTY_GROUP_LABELS.items()]


class PenaltyRowForm(forms.Form):
    finding = forms.ChoiceField(label=_("违规类别"), required=False, choices=())
    amount = forms.CharField(label=_("罚款金额(元)"), required=False, max_length=20)
    escalate_from = forms.IntegerField(
        label=_("当月第几次起加倍"), required=False, help_text=_("0 或留空:不加倍")
    )
    factor = forms.CharField(label=_("倍数"), required=False, max_length=10, initial="2")
    label = forms.CharField(label=_("依据与说明"), required=False, max_length=300)
    remove = forms.BooleanField(label=_("删除"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["finding"].choices = penalty_choices()  # type: ignore[attr-defined]

    def value(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("remove") or not data.get("finding"):
            return None
        return {
            "finding": data["finding"],
            "amount": (data.get("amount") or "").strip(),
            "escalate_from": data.get("escalate_from") or 0,
            "factor": (data.get("factor") or "1").strip(),
            "label": data.get("label") or "",
        }


class RetentionForm(forms.Form):
    numbering = forms.CharField(
        label=_("档号规则"),
        max_length=64,
        help_text=_("占位符:{code} {year} {month} {dept} {seq:N}"),
    )
    retention = forms.CharField(
        label=_("保管期限"), max_length=8, help_text=_("Y=永久,D30,D10,或年数")
    )
    trigger = forms.ChoiceField(label=_("保管期限起算"), choices=DisposalRule.Trigger.choices)
    hold_months = forms.IntegerField(label=_("待销毁保留期(月)"))
    cross_year = forms.ChoiceField(
        label=_("跨年度立卷规则"),
        choices=ArchiveType.CrossYear.choices,
        help_text=_("年度立卷时,文件跨越几个年度的档案归入哪一年:建档的年度,或最后一份文件的年度"),
    )

    TYPE_FIELDS = ("numbering", "retention", "cross_year", "trigger", "hold_months")

    def __init__(
        self, *args: Any, items: Sequence[tuple[str, str, str]] = (), **kwargs: Any
    ) -> None:
        """`items`: (code, name, retention) of each checklist item, whose own retention
        (单独保管期限, blank: the dossier's) this section edits too."""
        super().__init__(*args, **kwargs)
        self.item_codes = [code for code, _name, _kept in items]
        for code, name, kept in items:
            self.fields[f"item_{code}"] = forms.CharField(
                label=name, max_length=8, required=False, initial=kept
            )

    def type_fields(self) -> list[Any]:
        return [self[name] for name in self.TYPE_FIELDS]

    def item_fields(self) -> list[Any]:
        return [self[f"item_{code}"] for code in self.item_codes]

    def item_retentions(self) -> dict[str, str]:
        """Each item's own retention as entered (the schema checks it)."""
        return {
            code: (self.cleaned_data.get(f"item_{code}") or "").strip().upper()
            for code in self.item_codes
        }


class ConfirmForm(forms.Form):
    """The type's sign-offs (文件确认): how long one may wait before it escalates."""

    escalate_after_hours = forms.IntegerField(
        label=_("文件确认超时升级(小时,0 为不升级)"),
        min_value=0,
        max_value=720,
        help_text=_("待确认超过该时长即转交上一级(默认档案管理员)确认,并通知确认人"),
    )

    def value(self) -> dict[str, Any]:
        return {"escalate_after_hours": self.cleaned_data["escalate_after_hours"]}

    @staticmethod
    def initial_of(archive_type: ArchiveType) -> dict[str, Any]:
        return {
            "escalate_after_hours": schema.parse_confirm(archive_type.confirm).escalate_after_hours
        }


def _blank(value: Any) -> Any:
    return "" if value is None else value


class ApprovalRuleForm(forms.Form):
    name = forms.CharField(label=_("规则名称"), max_length=100)
    priority = forms.IntegerField(label=_("优先级(小者优先)"), initial=100)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    kind = forms.ChoiceField(
        label=_("申请类型"), required=False, choices=[("", _("不限")), *RuleKind.choices]
    )
    confidentiality = forms.ChoiceField(
        label=_("密级"), required=False, choices=[("", _("不限")), *Dossier.Confidentiality.choices]
    )
    relation = forms.ChoiceField(
        label=_("与客户关系"), required=False, choices=[("", _("不限")), *Relation.choices]
    )
    requester_role = forms.ChoiceField(label=_("申请人角色"), required=False, choices=())
    desk_approval = forms.BooleanField(label=_("档案室可当场审批借出"), required=False)
    escalate_after_hours = forms.IntegerField(
        label=_("超时升级(小时,0 为不升级)"),
        min_value=0,
        max_value=720,
        initial=48,
        required=False,
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester_role"].choices = [("", _("不限")), *roles]  # type: ignore[attr-defined]
        for n in range(1, MAX_STEPS + 1):
            self.fields[f"step{n}_role"] = forms.ChoiceField(
                label=_("第%(n)s步 审批角色") % {"n": n},
                required=False,
                choices=[("", "—"), *roles],
            )
            self.fields[f"step{n}_department"] = forms.ChoiceField(
                label=_("第%(n)s步 部门") % {"n": n},
                required=False,
                choices=STEP_DEPARTMENT_CHOICES,
                initial="any",
            )
            self.fields[f"step{n}_escalate"] = forms.ChoiceField(
                label=_("第%(n)s步 无人时转交") % {"n": n},
                required=False,
                choices=[("", _("档案管理员")), *roles],
            )

    def step_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"step{n}_role"], self[f"step{n}_department"], self[f"step{n}_escalate"])
            for n in range(1, MAX_STEPS + 1)
        ]

    def rule_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in (
                "name",
                "priority",
                "kind",
                "confidentiality",
                "relation",
                "requester_role",
                "escalate_after_hours",
                "desk_approval",
                "is_active",
            )
        ]

    def value(self) -> dict[str, Any]:
        data = self.cleaned_data
        steps = [
            {
                "role": data[f"step{n}_role"],
                "department": data.get(f"step{n}_department") or "any",
                "escalate_to": data.get(f"step{n}_escalate") or "",
            }
            for n in range(1, MAX_STEPS + 1)
            if data.get(f"step{n}_role")
        ]
        return {
            "name": data["name"],
            "priority": data["priority"],
            "is_active": bool(data.get("is_active")),
            "kind": data.get("kind") or "",
            "confidentiality": data.get("confidentiality") or "",
            "relation": data.get("relation") or "",
            "requester_role": data.get("requester_role") or "",
            "steps": steps,
            "desk_approval": bool(data.get("desk_approval")),
            "escalate_after_hours": (
                48 if data.get("escalate_after_hours") is None else data["escalate_after_hours"]
            ),
        }

    @staticmethod
    def initial_of(rule: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            key: _blank(getattr(rule, key))
            for key in (
                "name",
                "priority",
                "is_active",
                "kind",
                "confidentiality",
                "relation",
                "requester_role",
                "desk_approval",
                "escalate_after_hours",
            )
        }
        for n, step in enumerate(rule.steps or [], start=1):
            initial[f"step{n}_role"] = step.get("role")
            initial[f"step{n}_department"] = step.get("department") or "any"
            initial[f"step{n}_escalate"] = step.get("escalate_to") or ""
        return initial


class PreviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("申请类型"), choices=RuleKind.choices)
    confidentiality = forms.ChoiceField(
        label=_("档案密级"), choices=Dossier.Confidentiality.choices
    )
    relation = forms.ChoiceField(label=_("与客户关系"), choices=Relation.choices)
    requester_role = forms.ChoiceField(label=_("申请人角色"), choices=())
    requester_department = forms.ChoiceField(label=_("申请人部门"), required=False, choices=())
    customer_department = forms.ChoiceField(label=_("客户所属部门"), required=False, choices=())

    def __init__(
        self,
        *args: Any,
        roles: list[tuple[str, str]],
        departments: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester_role"].choices = roles  # type: ignore[attr-defined]
        choices = [("", "—"), *departments]
        self.fields["requester_department"].choices = choices  # type: ignore[attr-defined]
        self.fields["customer_department"].choices = choices  # type: ignore[attr-defined]


def field_rows_initial(archive_type: ArchiveType) -> list[dict[str, Any]]:
    return [
        {**spec, "choices": "、".join(str(c) for c in spec.get("choices") or [])}
        for spec in archive_type.fields or []
    ]


def date_fields_of(archive_type: ArchiveType) -> list[tuple[str, str]]:
    return [
        (spec["key"], spec["label"])
        for spec in archive_type.fields or []
        if spec.get("type") == "date"
    ]


def comparable_fields_of(archive_type: ArchiveType) -> list[tuple[str, Any]]:
    return [
        (schema.CUSTOMER_NAME, _("客户姓名(名称)")),
        *[(spec["key"], spec["label"]) for spec in archive_type.fields or []],
    ]


class ChangeControlForm(forms.Form):
    """Change control of the type (issue 23 §3): the default level of the dossier's and
    the customer's fields, and a level per field of the dossier (empty: the default). The
    customer's own fields keep what the template says (customer.<name>)."""

    LEVEL_CHOICES = [
        ("free", _("可直接修改")),
        ("reason", _("须填写原因")),
        ("approval", _("须审批")),
    ]

    default = forms.ChoiceField(label=_("档案字段默认"), choices=LEVEL_CHOICES)
    customer_default = forms.ChoiceField(label=_("客户字段默认"), choices=LEVEL_CHOICES)

    def __init__(self, *args: Any, archive_type: ArchiveType, **kwargs: Any) -> None:
        rules = archive_type.change_control or {}
        named = rules.get("fields") or {}
        kwargs.setdefault(
            "initial",
            {
                "default": rules.get("default") or "reason",
                "customer_default": rules.get("customer_default") or "reason",
                **{_field_name(key): level for key, level in named.items()},
            },
        )
        super().__init__(*args, **kwargs)
        self.kept = {k: v for k, v in named.items() if k.startswith("customer.")}
        own = [
            ("title", Dossier._meta.get_field("title").verbose_name),
            ("confidentiality", Dossier._meta.get_field("confidentiality").verbose_name),
            ("location", _("存放位置")),
        ]
        own += [
            (f"fields.{spec['key']}", spec.get("label") or spec["key"])
            for spec in archive_type.field_schema()
        ]
        self.field_keys = [key for key, _label in own]
        for key, label in own:
            self.fields[_field_name(key)] = forms.ChoiceField(
                label=label,
                choices=[("", _("按默认")), *self.LEVEL_CHOICES],
                required=False,
            )

    def value(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            key: data[_field_name(key)] for key in self.field_keys if data.get(_field_name(key))
        }
        return {
            "default": data["default"],
            "customer_default": data["customer_default"],
            "fields": {**fields, **self.kept},
        }


def _field_name(key: str) -> str:
    return "f_" + key.replace(".", "__")
