from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """One indexed record: pre-segmented tokens, space-separated, in three columns.

    The columns feed an FTS5 table on SQLite and a generated, GIN-indexed tsvector on
    PostgreSQL (see index.py). Tokens are produced by segment.py, so both databases see
    the same words and behave alike."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("客户")
        DOSSIER = "dossier", _("档案")
        DOCUMENT = "document", _("文件")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    name_tokens = models.TextField(blank=True)
    id_tokens = models.TextField(blank=True)
    text_tokens = models.TextField(blank=True)
    # Whose record it is, for narrowing a search to the records an actor may see before
    # the policy check (see index.Scope): the customer's account manager and department
    # (a dossier's and a document's are their customer's), and the dossier (of a
    # dossier: itself; of a document: the one it is filed in). Plain numbers, not keys:
    # the index follows the records, never holds them. Kept current by the database
    # (migration 0003's trigger on the customer); NULL in entries written before it,
    # which a narrowed search takes as "anyone's" until `dangan search rebuild`.
    owner_id = models.BigIntegerField(null=True, blank=True)
    department_id = models.BigIntegerField(null=True, blank=True)
    dossier_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
