from __future__ import annotations

from django.apps import AppConfig


class CirculationConfig(AppConfig):
    name = "dangan.circulation"
    label = "circulation"
    verbose_name = "利用与借阅"
