from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangan.locations.models import Location


class LocationCreateForm(forms.Form):
    parent = forms.ModelChoiceField(
        label=_("上级位置"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=_("(无:新建库房)"),
    )
    kind = forms.ChoiceField(label=_("类别"), choices=Location.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=40)
    capacity = forms.IntegerField(label=_("容量(份)"), required=False, min_value=1)

    def __init__(
        self, *args: object, paths: dict[int, str] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["parent"]
        labels = paths or {}
        if isinstance(field, forms.ModelChoiceField):
            field.label_from_instance = lambda node: labels.get(node.pk, node.name)  # type: ignore[method-assign,assignment]


class PlaceForm(forms.Form):
    node = forms.IntegerField(label=_("存放位置"), min_value=1)
