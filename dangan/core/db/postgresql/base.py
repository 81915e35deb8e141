"""Django's PostgreSQL backend, appending queued audit entries at commit (core.db.base)."""

from __future__ import annotations

from django.db.backends.postgresql import base

from dangan.core.db.base import AuditedCommit


class DatabaseWrapper(AuditedCommit, base.DatabaseWrapper):
    pass
