"""A customer's credit rating and credit limit: finance's data (seed 001). Finance sets
them here; every other change of a customer refuses them (customer_create/update call
`refuse_credit_fields`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, Forbidden
from dangan.customers.models import Customer

RATINGS = ("A", "B", "C", "D")


def refuse_credit_fields(actor: User, fields: dict[str, Any], customer: Customer | None) -> None:
    """Refuse a credit rating or limit given by anyone but finance: on a new customer any
    value, on an existing one a value that differs from the current (a client that sends
    the whole record back unchanged is not refused)."""
    if policy.may_edit_credit(actor):
        return
    for name in policy.CREDIT_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        current = getattr(customer, name) if customer is not None else None
        if value in ("", None) and current in ("", None):
            continue
        if customer is not None and _same(value, current):
            continue
        raise Forbidden(_("信用等级与授信额度由财务维护"), field=name)


def _same(value: Any, current: Any) -> bool:
    if isinstance(current, Decimal) or isinstance(value, Decimal):
        try:
            return current is not None and Decimal(str(value)) == current
        except (InvalidOperation, ValueError):
            return False
    return str(value or "") == str(current or "")


def _clean_limit(value: Any) -> Decimal | None:
    if value in ("", None):
        return None
    try:
        limit = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("金额格式不正确"), field="credit_limit") from None
    if not limit.is_finite() or limit < 0:
        raise ApplicationError(_("金额不能为负数"), field="credit_limit")
    if limit >= Decimal("1e12"):
        raise ApplicationError(_("金额过大"), field="credit_limit")
    return limit


@refusals_audited("credit_change", "customer")
@transaction.atomic
def customer_credit_set(
    *, actor: User, customer: Customer, credit_rating: str, credit_limit: Any, note: str = ""
) -> Customer:
    """Finance sets a customer's credit rating and limit; the audit entry keeps both the
    old and the new values."""
    policy.require(actor, perms.CUSTOMER_CREDIT)
    customer = policy.access_customer(actor, customer.pk)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    rating = str(credit_rating or "").strip().upper()
    if rating and rating not in RATINGS:
        raise ApplicationError(_("信用等级须为 A、B、C、D 之一"), field="credit_rating")
    limit = _clean_limit(credit_limit)
    before = {"credit_rating": customer.credit_rating, "credit_limit": customer.credit_limit}
    customer.credit_rating = rating
    customer.credit_limit = limit
    customer.save(update_fields=["credit_rating", "credit_limit", "updated_at"])
    audit_record(
        actor=actor,
        action="credit_change",
        obj=customer,
        detail={
            "before": {k: str(v) if v is not None else None for k, v in before.items()},
            "after": {"credit_rating": rating, "credit_limit": str(limit) if limit else None},
            "note": note.strip()[:200],
        },
    )
    return customer
