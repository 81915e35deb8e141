from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """Stored bytes, addressed by their SHA-256: the same bytes are stored once."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("存储文件")
        verbose_name_plural = _("存储文件")

    def __str__(self) -> str:
        return self.sha256

    @property
    def storage_name(self) -> str:
        return f"blobs/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class Document(models.Model):
    class Carrier(models.TextChoices):
        PAPER_ORIGINAL = "paper_original", _("纸质原件")
        PAPER_COPY = "paper_copy", _("纸质复印件")
        ELECTRONIC = "electronic", _("电子文件")

    class State(models.TextChoices):
        VALID = "valid", _("有效")
        SUPERSEDED = "superseded", _("已替换")
        VOID = "void", _("作废")
        DESTROYED = "destroyed", _("已销毁")

    dossier = models.ForeignKey(
        "archives.Dossier", on_delete=models.PROTECT, related_name="documents"
    )
    checklist_item = models.ForeignKey(
        "archives.ChecklistItem",
        verbose_name=_("文件类型"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    # The dated part of the dossier it belongs to (卷内分组: a service visit, a stay).
    part = models.ForeignKey(
        "archives.DossierPart",
        verbose_name=_("卷内分组"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    piece_number = models.PositiveIntegerField(_("件号"))
    title = models.CharField(_("题名"), max_length=200)
    responsible = models.CharField(_("责任者"), max_length=100, blank=True)
    doc_date = models.DateField(_("文件日期"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    page_range = models.CharField(_("页号"), max_length=20, blank=True)
    carrier = models.CharField(
        _("载体"), max_length=20, choices=Carrier.choices, default="paper_copy"
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default="valid")
    remarks = models.CharField(_("备注"), max_length=200, blank=True)
    text = models.TextField(_("文本内容"), blank=True)
    created_at = models.DateTimeField(_("归档时间"), auto_now_add=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # Voided (作废) or superseded (替换): why, when and by whom; a superseded document
    # names its replacement. The old document stays in the dossier, marked.
    state_reason = models.CharField(_("作废/替换原因"), max_length=500, blank=True)
    state_changed_at = models.DateTimeField(_("作废/替换时间"), null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废/替换人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("替换为"),
        on_delete=models.PROTECT,
        related_name="supersedes",
        null=True,
        blank=True,
    )

    # Workflow as data (STYLE 4): a valid document may be voided or superseded, once.
    TRANSITIONS: dict[str, frozenset[str]] = {
        State.VALID: frozenset({State.VOID, State.SUPERSEDED}),
        State.VOID: frozenset(),
        State.SUPERSEDED: frozenset(),
        State.DESTROYED: frozenset(),  # set by disposal (#24), never voided or replaced
    }

    class Meta:
        ordering = ["piece_number"]
        verbose_name = _("文件")
        verbose_name_plural = _("文件")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "piece_number"], name="piece_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def can_move_to(self, state: str) -> bool:
        return state in self.TRANSITIONS.get(self.state, frozenset())


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    # The client's file name is kept for display only; storage uses the hash.
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name
