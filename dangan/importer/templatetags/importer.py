from __future__ import annotations

from typing import Any

from django import template

from dangan.accounts import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: dict[str, Any], code: str) -> bool:
    """Whether the signed-in user holds a permission code (to show a link or not)."""
    request = context.get("request")
    return request is not None and policy.has_perm(request.user, code)
