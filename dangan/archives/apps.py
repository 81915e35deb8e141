from __future__ import annotations

from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "dangan.archives"
    label = "archives"
