from __future__ import annotations

from django.apps import AppConfig


class HandoverConfig(AppConfig):
    name = "dangan.handover"
    label = "handover"
    verbose_name = "档案移交"
