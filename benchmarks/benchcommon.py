"""What the benchmarks share: Django setup, where the probe lives, a free port and a
signed-in session on the server under test."""

from __future__ import annotations

import http.client
import os
import re
import socket
import sys
from pathlib import Path
from urllib.parse import quote

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def login(port: int, username: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    body = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert csrf_cookie and token, "no CSRF token on the login page"
    form = (
        f"username={quote(username)}&password={quote(password)}"
        f"&csrfmiddlewaretoken={token.group(1)}"
    )
    conn.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    assert session, f"login as {username} failed"
    return f"sessionid={session.group(1)}"
