from __future__ import annotations

import os

# Whatever the server creates (database files, scans, temporary uploads) is for the
# user running Dangan only (#22), however the server was started.
os.umask(0o077)

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
application = get_wsgi_application()

# No keys file, or another instance's: the server does not start (the message names the
# file and the backup to restore it from).
from dangan.backups.gate import keys_gate  # noqa: E402 - needs the settings configured above

keys_gate()

# Each server process loads the word-segmentation dictionary before its first request.
from dangan.search import segment  # noqa: E402 - needs the settings configured above

segment.warm_up()
