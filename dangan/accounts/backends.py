"""Django's ModelBackend, reading a session's user by a statement compiled once
(core.compiled): every request of a signed-in user reads it before its view runs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends

from dangan.accounts.models import User
from dangan.core.compiled import Compiled

_USER = Compiled(lambda pk: User._default_manager.filter(pk=pk))


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER.fetch(pk)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
