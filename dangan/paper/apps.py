from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaperConfig(AppConfig):
    name = "dangan.paper"
    label = "paper"
    verbose_name = _("纸质档案:打印与盘点")
