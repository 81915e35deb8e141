from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisposalConfig(AppConfig):
    name = "dangan.disposal"
    label = "disposal"
    verbose_name = _("鉴定与销毁")
