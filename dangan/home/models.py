"""What the home app keeps: only which reminders a person marked done, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderDone(models.Model):
    """A reminder (computed from the records, see home.reminders) marked done. The key
    names the thing and the day: `birthday:12:2026-12-09`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("提醒"), max_length=120)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    done_at = models.DateTimeField(_("完成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已完成的提醒")
        verbose_name_plural = _("已完成的提醒")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="reminder_done_once")]

    def __str__(self) -> str:
        return self.key
