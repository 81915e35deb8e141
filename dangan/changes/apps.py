from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "dangan.changes"
    label = "changes"
    verbose_name = _("变更控制")
