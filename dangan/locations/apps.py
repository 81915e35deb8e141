from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocationsConfig(AppConfig):
    name = "dangan.locations"
    label = "locations"
    verbose_name = _("存放位置")
