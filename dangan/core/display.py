"""Codes and numbers as people read them: one helper each, used by the pages (through
the `display` template filters), the PDFs and the exports."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def retention_label(code: Any) -> str:
    """保管期限: "Y" → 永久, "D30" → 定期30年, "15" → 定期15年; anything else as stored."""
    text = str(code or "").strip().upper()
    if not text:
        return ""
    if text == "Y":
        return _("永久")
    years = text.removeprefix("D")
    if years.isdigit():
        return _("定期%(years)s年") % {"years": int(years)}
    return str(code)


def human_size(size: Any) -> str:
    """A size in bytes as 512 B, 22.2 KB, 3.4 MB, 1.2 GB (units of 1,024)."""
    try:
        value = float(size or 0)
    except (TypeError, ValueError):
        return str(size)
    if value < 1024:
        return f"{int(value)} B"
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns


def role_names(codes: list[str]) -> dict[str, str]:
    """The names of the roles with these codes (one query), by code; an unknown code stays
    as it is."""
    from dangan.accounts.models import Role

    names = dict(Role.objects.filter(code__in=set(codes)).values_list("code", "name"))
    return {code: names.get(code, code) for code in codes}
