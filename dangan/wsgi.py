from __future__ import annotations

import os

# Whatever the server creates (database files, scans, temporary uploads) is for the
# user running Dangan only (#22), however the server was started.
os.umask(0o077)

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
application = get_wsgi_application()

# Each server process loads the word-segmentation dictionary before its first request.
from dangan.search import segment  # noqa: E402 - needs the settings configured above

segment.warm_up()
