"""Form widgets render through the project's templates (#29): the select writes its
options itself, without two includes per option, and gives Django's own markup; the
common widgets are written in Python (dangan.core.widgets), byte for byte what their
templates give."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.utils.safestring import mark_safe

from dangan.core.widgets import WRITERS, Renderer


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

    assert settings.FORM_RENDERER == "dangan.core.widgets.Renderer"
    assert isinstance(get_default_renderer(), Renderer)
    template = get_default_renderer().get_template("django/forms/widgets/select.html")
    assert template.origin.name.endswith("dangan/templates/django/forms/widgets/select.html")


class Every(forms.Form):
    """Each widget WRITERS writes, with values that need escaping, safe strings, numbers,
    dates, booleans in attrs, lazy text, optgroups and several selected options."""

    text = forms.CharField(widget=forms.TextInput(attrs={"placeholder": '如:"首保" & <b>'}))
    safe = forms.CharField(required=False)
    number = forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"min": 0}))
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    at = forms.DateTimeField(required=False)
    time = forms.TimeField(required=False)
    flag = forms.BooleanField(required=False)
    off = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"disabled": False}))
    scan = forms.FileField(required=False)
    plain_file = forms.FileField(required=False, widget=forms.FileInput(attrs={"accept": "*"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    empty_note = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(
        choices=[("", "—"), ("a", "甲 & 乙"), ("组", [("1", "<一>"), ("2", "二")]), (3, 3)]
    )
    many = forms.MultipleChoiceField(required=False, choices=[("1", "一"), ("2", "二")])
    maybe = forms.NullBooleanField(required=False)


def _every(renderer: object, bound: bool) -> list[tuple[str, str]]:
    data: dict[str, Any] = {
        "text": '<script>"x"</script> & 王',
        "safe": mark_safe("<i>已转义</i>"),
        "number": "1234.50",
        "email": "a@b.cn",
        "password": "p&w",
        "hidden": "h\"1'",
        "day": "2026-03-01",
        "flag": "on",
        "note": "第一行\n<第二行>",
        "choice": "1",
        "many": ["1", "2"],
        "maybe": "true",
    }
    initial = {"number": Decimal("1234.5"), "day": datetime.date(2026, 3, 1), "choice": 3}
    files = {"scan": SimpleUploadedFile("a.pdf", b"%PDF")}
    form = (
        Every(data=data, files=files, renderer=renderer)  # type: ignore[arg-type]
        if bound
        else Every(initial=initial, renderer=renderer)  # type: ignore[arg-type]
    )
    return [(name, str(form[name])) for name in form.fields]


def test_the_written_widgets_give_the_templates_markup_byte_for_byte() -> None:
    for bound in (True, False):
        assert _every(Renderer(), bound) == _every(TemplatesSetting(), bound)


def test_every_written_template_is_compared() -> None:
    """A widget template added to WRITERS needs a case above; the cases reach them all."""
    seen: set[str] = set()

    class Spy(TemplatesSetting):
        def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
            seen.add(template_name)
            return str(super().render(template_name, context, request))

    _every(Spy(), True)
    untested = {"input", "search", "tel", "color"}  # only includes of input.html, as text
    assert {n.removeprefix("django/forms/widgets/").removesuffix(".html") for n in WRITERS} - {
        n.removeprefix("django/forms/widgets/").removesuffix(".html") for n in seen
    } == untested


def test_an_initial_file_goes_to_the_template() -> None:
    class WithFile(forms.Form):
        scan = forms.FileField(required=False)

    class Stored:
        url = "/f/a.pdf"

        def __str__(self) -> str:
            return "a.pdf"

    ours = str(WithFile(initial={"scan": Stored()}, renderer=Renderer())["scan"])
    assert ours == str(WithFile(initial={"scan": Stored()}, renderer=TemplatesSetting())["scan"])
    assert '<a href="/f/a.pdf">a.pdf</a>' in ours
