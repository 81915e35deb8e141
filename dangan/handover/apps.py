from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "dangan.handover"
    label = "handover"
    verbose_name = _("档案移交")
