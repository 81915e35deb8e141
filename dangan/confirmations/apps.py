from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmationsConfig(AppConfig):
    name = "dangan.confirmations"
    verbose_name = _("文件确认")
    default_auto_field = "django.db.models.BigAutoField"
