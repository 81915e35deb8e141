"""What every part of the rules' schema parses with: refusals naming their section, and
the checks of text, whole numbers, money, mappings, lists and known keys."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from dangan.core.errors import ApplicationError, ValidationFailed


def _fail(section: str, message: Any) -> ApplicationError:
    return ApplicationError(message, field=section)


def _text(value: Any, section: str, what: Any, *, limit: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise _fail(section, _("%(w)s包含不允许的控制字符") % {"w": what})
    if required and not text:
        raise _fail(section, _("请填写%(w)s") % {"w": what})
    if len(text) > limit:
        raise _fail(section, _("%(w)s过长(最多%(n)s字)") % {"w": what, "n": limit})
    return text


def _whole(value: Any, section: str, what: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise _fail(section, _("%(w)s应为整数") % {"w": what})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _fail(section, _("%(w)s应为整数") % {"w": what}) from None
    if not low <= number <= high:
        raise _fail(section, _("%(w)s应在%(lo)s到%(hi)s之间") % {"w": what, "lo": low, "hi": high})
    return number


def _given(raw: dict[str, Any], key: str, default: Any) -> Any:
    """The value, or the default where the key is absent or empty (0 is a value)."""
    value = raw.get(key)
    return default if value in (None, "") else value


def _mapping(value: Any, section: str, what: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(section, _("%(w)s格式不正确") % {"w": what})
    return value


def _listing(value: Any, section: str) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise _fail(section, _("应为列表"))
    return value


def _known_keys(data: dict[str, Any], allowed: set[str], section: str, what: Any) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise _fail(
            section, _("%(w)s含有未知的项:%(k)s") % {"w": what, "k": ", ".join(sorted(unknown))}
        )


def _money(value: Any, section: str, what: Any, *, positive: bool) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        raise _fail(section, _("%(w)s不是有效的数字") % {"w": what}) from None
    if not amount.is_finite() or amount > Decimal("1000000"):
        raise _fail(section, _("%(w)s不是有效的数字") % {"w": what})
    if amount < 0:
        raise _fail(section, _("%(w)s不能为负数") % {"w": what})
    if positive and amount == 0:
        raise _fail(section, _("%(w)s须大于零") % {"w": what})
    return amount


def _section(
    errors: dict[str, Any], section: str, parse: Callable[[], Any], default: Any = None
) -> Any:
    try:
        return parse()
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            errors.setdefault(section if not key.startswith(section) else key, message)
    except ApplicationError as exc:
        errors.setdefault(exc.field or section, exc.message)
    return default
