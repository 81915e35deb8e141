"""The form widgets' HTML written in Python for the common widgets (inputs, text areas,
selects), the same markup as their templates: a page's forms were a fifth of the dossier
page's time (#29), each field an include of its widget's template, which includes
attrs.html again. Any other widget, and any case these functions do not write exactly
(an initial file, a value the template would print through a filter that fails), goes
to the templates. tests/test_form_renderer.py renders every widget both ways and compares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, SafeString, mark_safe

# What {{ … }} does in a template with autoescape on: localize, str(), escape.
_CONTEXT = Context(autoescape=True)


def _out(value: Any) -> str:
    return str(render_value_in_context(value, _CONTEXT))


def _formatted(value: Any) -> str:
    """{{ value|stringformat:'s' }}: the filter keeps a safe string safe (is_safe)."""
    try:
        text = "%s" % value  # noqa: UP031 - exactly what the filter does
    except (ValueError, TypeError):
        text = ""
    return _out(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308 - as the filter


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(" " + _out(name))
            if value is not True:
                parts.append('="' + _formatted(value) + '"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html (and every template that only includes it)."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value != None else ""  # noqa: E711 - the template's !=
    return (
        f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _clearable_file(widget: dict[str, Any]) -> str | None:
    """django/forms/widgets/clearable_file_input.html without an initial file."""
    if widget.get("is_initial"):
        return None
    return (
        f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = _out(value) if value else ""
    return f'<textarea name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _select(widget: dict[str, Any]) -> str:
    """dangan/templates/django/forms/widgets/select.html (Django's, options inline)."""
    out = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_out(option['label'])}</option>"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_WIDGETS = "django/forms/widgets/"
INPUTS = ("input", "text", "number", "email", "url", "password", "hidden", "date", "datetime")
INPUTS_TOO = ("time", "search", "tel", "color", "file", "checkbox")
WRITERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{f"{_WIDGETS}{name}.html": _input for name in INPUTS + INPUTS_TOO},
    f"{_WIDGETS}clearable_file_input.html": _clearable_file,
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}select.html": _select,
}


class Renderer(TemplatesSetting):
    """Django's TemplatesSetting, with WRITERS in place of the templates they write."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = WRITERS.get(template_name)
        widget = context.get("widget")
        if writer is not None and isinstance(widget, dict):
            written = writer(widget)
            if written is not None:
                return SafeString(written.strip())
        return str(super().render(template_name, context, request))
