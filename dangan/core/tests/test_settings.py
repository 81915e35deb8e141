from __future__ import annotations

from dangan import settings


def test_it_hashes_passwords_with_argon2_in_production() -> None:
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_it_runs_with_debug_off_by_default() -> None:
    assert settings.DEBUG is False


def test_it_defaults_to_sqlite_in_wal_mode_with_immediate_transactions() -> None:
    import os

    if os.environ.get("DANGAN_DATABASE_URL"):
        return
    options = settings.DATABASES["default"]["OPTIONS"]
    assert isinstance(options, dict)
    assert "journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE"


def test_it_finds_our_own_static_files_and_the_htmx_script() -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("dangan/app.css")
    assert finders.find("django_htmx/htmx-2.min.js")


def test_it_speaks_chinese_whatever_the_browser_prefers(client: object, db: object) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.headers["Content-Language"] == "en"
