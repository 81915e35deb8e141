from __future__ import annotations

from typing import Any

from django import template

from dangan.disposal import retention

register = template.Library()


@register.simple_tag
def retention_line(dossier: Any) -> str:
    """The dossier's retention in words, with the day it ends when known."""
    return retention.describe(dossier)


@register.simple_tag
def document_retention(document: Any) -> str:
    """A document's own retention in words ("单独保管 定期3年 · 保管至 …"); "" when it
    follows its dossier."""
    return retention.describe_document(document)


@register.inclusion_tag("disposal/_customer_hold.html", takes_context=True)
def customer_hold_card(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The legal hold on a customer's page: shown when one stands, and the form to place or
    lift it for those who may (the archive room)."""
    from dangan.accounts import permissions as perms
    from dangan.accounts import policy
    from dangan.disposal.holds import standing_hold

    request = context.get("request")
    user = getattr(request, "user", None)
    may = user is not None and policy.has_perm(user, perms.DOSSIER_HOLD)
    return {
        "customer": customer,
        "hold": standing_hold(customer.pk),
        "may": may,
        "csrf_token": context.get("csrf_token"),
    }
