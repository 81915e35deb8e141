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
