from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit trail (等保 audit; SPEC C11).

    `entry_hash` covers every other column plus the previous entry's hash, keyed with the
    instance's audit key (HMAC-SHA256, services.chain_digest), so editing, deleting,
    inserting or reordering any entry breaks the chain at that point, and whoever can write
    the database but has not the key cannot re-chain it.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        DENIED = "denied", _("拒绝")
        FAILED = "failed", _("失败")

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    roles = models.CharField(max_length=200, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40, blank=True, db_index=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The single row every writer locks to append to the chain in order."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # After old entries are pruned (retention), the chain starts from this anchor: the
    # last pruned entry's sequence number and hash.
    base_seq = models.BigIntegerField(default=0)
    base_hash = models.CharField(max_length=64, default="0" * 64)
    # Entries from this sequence number on are keyed (HMAC under settings.AUDIT_CHAIN_KEY);
    # those before it were written unkeyed by an older version. On an upgraded instance it
    # names the "audit_keyed" entry that migration 0004 appended, whose keyed hash covers
    # the last unkeyed one: audit_verify accepts no other value (see audit_verify).
    keyed_from = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"
