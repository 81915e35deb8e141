"""Form widgets render through the project's templates (#29): the select writes its
options itself, without two includes per option, and gives Django's own markup."""

from __future__ import annotations

import re

from django import forms
from django.forms.renderers import DjangoTemplates, TemplatesSetting


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "全部"), ("a", "甲 & 乙"), ("7", "<七>")])
    grouped = forms.ChoiceField(choices=[("组一", [("x", "X")]), ("y", "Y")])
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二")])


def _html(renderer: object) -> str:
    form = Sample(
        data={"plain": "7", "grouped": "x", "many": ["1", "2"]},
        renderer=renderer,  # type: ignore[arg-type]
    )
    return re.sub(r"\s+", " ", "".join(str(form[name]) for name in form.fields))


def test_the_select_gives_djangos_markup() -> None:
    ours = _html(TemplatesSetting())
    assert ours == _html(DjangoTemplates())
    assert '<option value="7" selected>&lt;七&gt;</option>' in ours
    assert '<optgroup label="组一">' in ours and "甲 &amp; 乙" in ours


def test_the_project_renders_selects_with_its_own_template() -> None:
    from django.conf import settings
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "django.forms.renderers.TemplatesSetting"
    template = get_default_renderer().get_template("django/forms/widgets/select.html")
    assert template.origin.name.endswith("dangan/templates/django/forms/widgets/select.html")
