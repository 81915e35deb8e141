from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "dangan.rules"
    label = "rules"
    verbose_name = _("规则")
