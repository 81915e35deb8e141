from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dangan.accounts import permissions as perms
from dangan.accounts import policy


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the menu may offer the signed-in user (the policy decides, not the template)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    granted = policy.permissions_of(user)
    return {
        "nav": {
            "customers": perms.CUSTOMER_VIEW in granted,
            "customer_create": perms.CUSTOMER_CREATE in granted,
            "dossiers": perms.DOSSIER_VIEW in granted,
            "archive_types": perms.ARCHIVE_TYPE_MANAGE in granted or perms.DOSSIER_VIEW in granted,
            "manage_types": perms.ARCHIVE_TYPE_MANAGE in granted,
            "audit": perms.AUDIT_VIEW in granted,
            "users": perms.USER_MANAGE in granted,
            "roles": perms.ROLE_MANAGE in granted,
            "security": perms.SECURITY_MANAGE in granted,
        },
        "user_roles": [role.name for role in policy.roles_of(user)],
    }
