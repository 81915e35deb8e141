"""What generate.py and search_latency.py share: Django setup and where the probe lives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def database_label() -> str:
    """'sqlite' for the data dir's SQLite file, 'pg_<name>' for a PostgreSQL database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"pg_{connection.settings_dict['NAME']}"
    return "sqlite"


def probe_path() -> Path:
    """The probe (sample query values) of the generated data set: in the data dir, one per
    database, because the data dir's keys (secrets.json) belong to the data set."""
    from django.conf import settings

    label = database_label()
    name = "bench_probe.json" if label == "sqlite" else f"bench_probe_{label}.json"
    return Path(settings.DATA_DIR) / name
