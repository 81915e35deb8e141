from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from dangan.accounts import permissions as perms
from dangan.accounts import policy

_T = TypeVar("_T")

CIRCULATION_CODES = frozenset(
    {perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW, perms.CIRCULATION_LEND, perms.CIRCULATION_MANAGE}
)


def _once(count: Callable[[], _T]) -> Callable[[], _T]:
    """Counts the template runs (one query) only if it shows them, and then only once."""
    return functools.cache(count)


def _circulation() -> Any:
    from dangan.circulation import selectors

    return selectors


@functools.lru_cache(maxsize=256)
def _key_of(granted: frozenset[str]) -> str:
    return hashlib.sha256(",".join(sorted(granted)).encode()).hexdigest()[:16]


def _work_waiting(user: Any) -> int:
    from dangan.home.work import waiting_count

    return waiting_count(user)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the menu may offer the signed-in user (the policy decides, not the template)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    granted = policy.permissions_of(user)
    counts = _once(lambda: _circulation().menu_counts(user))  # three badges, one query
    return {
        "nav": {
            # What the menu's links depend on (base.html caches them under it).
            "key": _key_of(granted),
            "customers": perms.CUSTOMER_VIEW in granted,
            "customer_create": perms.CUSTOMER_CREATE in granted,
            "dossiers": perms.DOSSIER_VIEW in granted,
            "archive_types": perms.ARCHIVE_TYPE_MANAGE in granted or perms.DOSSIER_VIEW in granted,
            "manage_types": perms.ARCHIVE_TYPE_MANAGE in granted,
            "audit": perms.AUDIT_VIEW in granted,
            "backups": perms.SYSTEM_BACKUP in granted,
            "handover": bool(
                granted & {perms.HANDOVER_SEND, perms.HANDOVER_RECEIVE, perms.HANDOVER_MANAGE}
            ),
            # Use of the archive: anyone who may ask for a dossier, and the archive room.
            "circulation": bool(granted & CIRCULATION_CODES),
            "lend": perms.CIRCULATION_LEND in granted,
            "approvals_pending": lambda: counts()[0],
            "changes_pending": lambda: counts()[2],
            "notifications_unread": lambda: counts()[1],
            "users": perms.USER_MANAGE in granted,
            "roles": perms.ROLE_MANAGE in granted,
            "security": perms.SECURITY_MANAGE in granted,
            "intake": perms.DOSSIER_VIEW in granted,
            "locations": perms.DOSSIER_LOCATE in granted,
            "intake_statement": perms.INTAKE_STATEMENT in granted,
            "intake_calendar": perms.INTAKE_CALENDAR in granted,
            "service": perms.SERVICE_VIEW in granted,
            "dashboard": bool(granted & {perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW}),
            # What waits on the home page, counted at most once a minute per person.
            "work_waiting": lambda: _work_waiting(user),
            "disposal": bool(
                granted
                & {perms.DISPOSAL_PROPOSE, perms.DISPOSAL_SUPERVISE, perms.DISPOSAL_REGISTER}
            ),
        },
        "user_roles": [role.name for role in policy.roles_of(user)],
    }
