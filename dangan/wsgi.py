from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
application = get_wsgi_application()

# Each server process loads the word-segmentation dictionary before its first request.
from dangan.search import segment  # noqa: E402 - needs the settings configured above

segment.warm_up()
