from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "dangan.documents"
    label = "documents"
