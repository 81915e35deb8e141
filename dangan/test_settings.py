"""Settings for the test suite: the production settings, in a throw-away data dir.

The environment must be set before dangan.settings is imported, which is why this is
a settings module (pytest-django imports it before any conftest runs).
"""

from __future__ import annotations

import contextlib
import os
import tempfile

os.environ["DANGAN_DATA_DIR"] = os.environ.get("DANGAN_TEST_DATA_DIR") or tempfile.mkdtemp(
    prefix="dangan-test-"
)
os.environ["DANGAN_STATIC_PLAIN"] = "1"

from pathlib import Path

from dangan import config

# A keys file is made only by `dangan init` on an empty database; the test database is
# made by the test runner, so the throw-away data dir gets its keys here.
if not (Path(os.environ["DANGAN_DATA_DIR"]) / config.KEYS_FILE).exists():
    with contextlib.suppress(FileExistsError):  # another test process made it just now
        config.create_secrets(config.data_dir())

from dangan.settings import *  # noqa: F403

# Argon2 is the production hasher (see test_settings in core); tests need speed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
