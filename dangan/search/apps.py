from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "dangan.search"
    label = "search"
    verbose_name = _("检索")
    default_auto_field = "django.db.models.BigAutoField"
