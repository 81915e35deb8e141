from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.archives.models import ArchiveType, ChecklistItem, Dossier, DossierPart
from dangan.customers.models import Customer
from dangan.documents.models import Document

FIELD_PREFIX = "f_"


def custom_form_fields(schema: list[dict[str, Any]]) -> dict[str, forms.Field]:
    """Form fields for an archive type's custom-field schema; the service validates values."""
    out: dict[str, forms.Field] = {}
    for spec in schema:
        kind = spec.get("type", "text")
        common: dict[str, Any] = {
            "label": spec["label"],
            "required": bool(spec.get("required")) and kind != "bool",
            "help_text": spec.get("help") or "",
        }
        field: forms.Field
        if kind == "choice":
            field = forms.ChoiceField(
                choices=[("", "—"), *[(c, c) for c in spec.get("choices") or []]], **common
            )
        elif kind == "bool":
            field = forms.BooleanField(**common)
        elif kind == "date":
            field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        else:
            field = forms.CharField(max_length=200, **common)
        out[FIELD_PREFIX + spec["key"]] = field
    return out


class DossierCreateForm(forms.Form):
    archive_type = forms.ModelChoiceField(
        label=_("档案类型"), queryset=ArchiveType.objects.none(), empty_label=_("请选择")
    )
    title = forms.CharField(
        label=_("案卷题名"),
        required=False,
        max_length=200,
        help_text=_("留空则按“客户名 档案类型”生成"),
    )
    confidentiality = forms.ChoiceField(
        label=_("密级"),
        choices=[("", _("按档案类型默认")), *Dossier.Confidentiality.choices],
        required=False,
    )
    volume_year = forms.IntegerField(label=_("年度"), min_value=1900, max_value=2200)

    def __init__(
        self,
        *args: Any,
        customer: Customer,
        archive_type: ArchiveType | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        types = ArchiveType.objects.filter(is_active=True, customer_less=False)
        fitting = [t.pk for t in types if not t.customer_kinds or customer.kind in t.customer_kinds]
        self.fields["archive_type"].queryset = types.filter(pk__in=fitting)  # type: ignore[attr-defined]
        self.fields["volume_year"].initial = timezone.localdate().year
        self.selected_type = archive_type
        if archive_type is not None:
            self.fields.update(custom_form_fields(archive_type.field_schema()))

    def custom_values(self) -> dict[str, Any]:
        return {
            name.removeprefix(FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX) and value not in ("", None)
        }

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(FIELD_PREFIX)]


class DossierEditForm(forms.Form):
    """A filed dossier's title, confidentiality and business fields, with the reason its
    type's change control asks for."""

    title = forms.CharField(label=_("案卷题名"), max_length=200)
    confidentiality = forms.ChoiceField(label=_("密级"), choices=Dossier.Confidentiality.choices)
    reason = forms.CharField(
        label=_("修改原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("标有“须填写原因”或“须审批”的字段修改时必填"),
    )

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        initial = {"title": dossier.title, "confidentiality": dossier.confidentiality}
        for key, value in (dossier.fields or {}).items():
            initial[FIELD_PREFIX + key] = value
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        custom = custom_form_fields(dossier.archive_type.field_schema())
        self.current = dict(dossier.fields or {})
        reason = self.fields.pop("reason")
        self.fields.update(custom)
        self.fields["reason"] = reason

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "confidentiality": data["confidentiality"],
            "fields": {
                key: value
                for key, value in (
                    (name.removeprefix(FIELD_PREFIX), value)
                    for name, value in data.items()
                    if name.startswith(FIELD_PREFIX)
                )
                # An unticked box of a yes/no never answered is not a change to "no".
                if not (value is False and key not in self.current)
            },
        }


class LocationForm(forms.Form):
    room = forms.CharField(label=_("库房"), required=False, max_length=40)
    cabinet = forms.CharField(label=_("柜"), required=False, max_length=40)
    shelf = forms.CharField(label=_("架/层"), required=False, max_length=40)
    box = forms.CharField(label=_("盒"), required=False, max_length=40)
    position = forms.CharField(label=_("位置"), required=False, max_length=40)


class DocumentUploadForm(forms.Form):
    checklist_item = forms.ModelChoiceField(
        label=_("文件类型"),
        queryset=ChecklistItem.objects.none(),
        required=False,
        empty_label=_("(清单外文件)"),
    )
    part = forms.ModelChoiceField(
        label=_("卷内分组"),
        queryset=DossierPart.objects.none(),
        required=False,
        empty_label=_("(不分组)"),
    )
    title = forms.CharField(
        label=_("题名"), required=False, max_length=200, help_text=_("留空则使用文件类型名称")
    )
    responsible = forms.CharField(label=_("责任者"), required=False, max_length=100)
    doc_date = forms.DateField(
        label=_("文件日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    pages = forms.IntegerField(label=_("页数"), required=False, min_value=1, max_value=100000)
    carrier = forms.ChoiceField(
        label=_("载体"), choices=Document.Carrier.choices, initial=Document.Carrier.PAPER_COPY
    )
    remarks = forms.CharField(label=_("备注"), required=False, max_length=200)
    file = forms.FileField(
        label=_("扫描件"),
        required=False,
        allow_empty_file=True,
        help_text=_("PDF 或图片(JPG、PNG、TIFF)"),
    )

    def __init__(self, *args: Any, dossier: Dossier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checklist_item"].queryset = dossier.archive_type.items.all()  # type: ignore[attr-defined]
        parts = dossier.parts.order_by("-date", "-id")
        if parts.exists():
            self.fields["part"].queryset = parts  # type: ignore[attr-defined]
        else:
            del self.fields["part"]


class PartForm(forms.Form):
    label = forms.CharField(
        label=_("分组名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("如:首保、2026年3月入住")}),
    )
    date = forms.DateField(
        label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ArchiveTypeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=64)
    numbering = forms.CharField(
        label=_("档号规则"),
        max_length=64,
        help_text=_("占位符:{code} {year} {month} {dept} {seq:N}"),
    )
    retention = forms.CharField(
        label=_("保管期限"), max_length=8, help_text=_("Y=永久,D30,D10,或年数")
    )
    document_order = forms.ChoiceField(
        label=_("文件排列"), choices=ArchiveType.DocumentOrder.choices
    )
    is_active = forms.BooleanField(label=_("启用"), required=False)
    default_confidentiality = forms.ChoiceField(
        label=_("新建档案的默认密级"), choices=Dossier.Confidentiality.choices
    )
    originals_copyable = forms.BooleanField(
        label=_("原始资料可复制发放"),
        required=False,
        help_text=_("不勾选:原始资料只可查阅,不得复制、发放(002 篇4)"),
    )
    deadline_variant = forms.ChoiceField(label=_("移交期限规则"), required=False, choices=())

    def __init__(self, *args: Any, variants: list[dict[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if variants:
            self.fields["deadline_variant"].choices = [  # type: ignore[attr-defined]
                (str(v["key"]), str(v["label"])) for v in variants
            ]
            self.fields["deadline_variant"].required = True
        else:
            del self.fields["deadline_variant"]


class ChecklistItemForm(forms.Form):
    name = forms.CharField(label=_("文件名称"), max_length=100)
    group = forms.CharField(label=_("分组"), required=False, max_length=40)
    requirement = forms.ChoiceField(label=_("要求"), choices=ChecklistItem.Requirement.choices)
    condition = forms.CharField(
        label=_("适用条件"),
        required=False,
        max_length=200,
        help_text=_(
            "条件必备时填写,如 customer.kind=organization、fields.payment=按揭,"
            "或 fields.pickup_place!=非展厅(除此以外)"
        ),
    )
    copies = forms.IntegerField(label=_("份数"), min_value=1, max_value=20, initial=1)
    needs_stamp = forms.BooleanField(label=_("须盖章"), required=False)
    needs_signature = forms.BooleanField(label=_("须客户签字"), required=False)
    original = forms.BooleanField(label=_("原始资料"), required=False)

    def clean_condition(self) -> dict[str, Any]:
        """`path=value; path2=a|b` → {"path": "value", "path2": ["a", "b"]}."""
        text = self.cleaned_data.get("condition") or ""
        when: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.replace(";", ";").split(";"))):
            path, sep, value = part.partition("=")
            negated = path.endswith("!")
            path = path.removesuffix("!")
            if not sep or not path.strip() or not value.strip():
                raise forms.ValidationError(
                    _("条件格式应为 字段=值 或 字段!=值,多个条件用分号分隔")
                )
            options = [v.strip() for v in value.split("|")]
            parsed: list[Any] = [
                {"true": True, "false": False, "是": True, "否": False}.get(v, v) for v in options
            ]
            wanted = parsed if len(parsed) > 1 else parsed[0]
            when[path.strip()] = {"not": wanted} if negated else wanted
        return when

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["when"] = data.pop("condition")
        return data


def condition_text(when: dict[str, Any]) -> str:
    parts = []
    for path, value in (when or {}).items():
        negated = isinstance(value, dict)
        value = value.get("not") if isinstance(value, dict) else value
        values = value if isinstance(value, list) else [value]
        parts.append(
            f"{path}{'!=' if negated else '='}"
            + "|".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
        )
    return "; ".join(parts)


class DossierFilterForm(forms.Form):
    q = forms.CharField(label=_("档号/题名/客户"), required=False, max_length=100)
    archive_type = forms.ModelChoiceField(
        label=_("档案类型"),
        required=False,
        queryset=ArchiveType.objects.all(),
        empty_label=_("全部"),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *Dossier.Status.choices]
    )
    confidentiality = forms.ChoiceField(
        label=_("密级"),
        required=False,
        choices=[("", _("全部")), *Dossier.Confidentiality.choices],
    )
    room = forms.CharField(label=_("库房"), required=False, max_length=40)
