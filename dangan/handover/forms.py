"""Shape checks for the hand-over pages; the rules live in the services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives.models import Dossier
from dangan.handover.models import Handover

_SPLIT = re.compile(r"[\s,，;；、]+")


class DossierChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.archive_number} {obj.title}"


class HandoverForm(forms.Form):
    numbers = forms.CharField(
        label=_("档号"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("扫描或输入档号,每行一个")}),
    )
    dossiers = DossierChoiceField(
        label=_("或从列表中选择"),
        queryset=Dossier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    to_user = forms.ModelChoiceField(
        label=_("接收人"), queryset=User.objects.none(), required=False
    )
    to_department = forms.ModelChoiceField(
        label=_("接收部门"), queryset=Department.objects.all(), required=False
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(k, v) for k, v in Handover.Kind.choices if k != Handover.Kind.DEPARTURE],
        initial=Handover.Kind.TRANSFER,
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=500)

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dossiers = self.fields["dossiers"]
        assert isinstance(dossiers, DossierChoiceField)  # noqa: S101 - narrowing for mypy
        dossiers.queryset = choices
        self.fields["to_user"].queryset = policy.people_who_may_hold(policy.RECEIVER)  # type: ignore[attr-defined]

    def archive_numbers(self) -> list[str]:
        text = str(self.cleaned_data.get("numbers") or "")
        return [n for n in _SPLIT.split(text.strip()) if n]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_user") and not data.get("to_department"):
            self.add_error("to_user", _("请指定接收人或接收部门(二选一)"))
        if data.get("to_user") and data.get("to_department"):
            self.add_error("to_department", _("接收人与接收部门只能选一个"))
        if not data.get("numbers", "").strip() and not data.get("dossiers"):
            self.add_error("numbers", _("请选择要移交的档案"))
        return data


class DepartureForm(forms.Form):
    from_user = forms.ModelChoiceField(label=_("离职人员"), queryset=User.objects.all())
    to_user = forms.ModelChoiceField(label=_("接替人"), queryset=User.objects.none())
    note = forms.CharField(label=_("备注"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = policy.people_who_may_hold(policy.OWNER)  # type: ignore[attr-defined]
