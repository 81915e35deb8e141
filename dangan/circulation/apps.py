from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "dangan.circulation"
    label = "circulation"
    verbose_name = _("利用与借阅")
