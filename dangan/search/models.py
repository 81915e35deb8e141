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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
