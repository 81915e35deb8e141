from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "dangan.intake"
    label = "intake"
    verbose_name = "稽核与考核"
