"""The archive room's places as a tree the room sets up (库房 › 柜 › 架/层 › 盒 › 位), and
the history of where each dossier's paper has been."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangan.core.models import TimeStamped


class Location(TimeStamped):
    class Kind(models.TextChoices):
        ROOM = "room", _("库房")
        CABINET = "cabinet", _("柜")
        SHELF = "shelf", _("架/层")
        BOX = "box", _("盒")
        POSITION = "position", _("位")

    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40)
    # Dossiers this place holds at most, those of the places inside it included; none: no limit.
    capacity = models.PositiveIntegerField(_("容量(份)"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    sort_key = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        ordering = ["sort_key", "id"]
        verbose_name = _("存放位置")
        verbose_name_plural = _("存放位置")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="location_name_unique",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="location_room_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The dossier field each kind fills (Dossier.LOCATION_FIELDS).
    FIELD_OF_KIND = {
        "room": "location_room",
        "cabinet": "location_cabinet",
        "shelf": "location_shelf",
        "box": "location_box",
        "position": "location_position",
    }


class Move(models.Model):
    """One change of a dossier's place: from where, to where, by whom, when and why."""

    dossier = models.ForeignKey(
        "archives.Dossier", on_delete=models.PROTECT, related_name="location_moves"
    )
    from_text = models.CharField(_("原位置"), max_length=250, blank=True)
    to_text = models.CharField(_("新位置"), max_length=250, blank=True)
    from_node = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_node = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    moved_at = models.DateTimeField(_("时间"), auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-moved_at", "-id"]
        verbose_name = _("位置变动")
        verbose_name_plural = _("位置变动")

    def __str__(self) -> str:
        return f"{self.from_text} → {self.to_text}"
