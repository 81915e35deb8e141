"""Settings for the test suite: the production settings, in a throw-away data dir.

The environment must be set before dangan.settings is imported, which is why this is
a settings module (pytest-django imports it before any conftest runs).
"""

from __future__ import annotations

import os
import tempfile

os.environ["DANGAN_DATA_DIR"] = os.environ.get("DANGAN_TEST_DATA_DIR") or tempfile.mkdtemp(
    prefix="dangan-test-"
)
os.environ["DANGAN_STATIC_PLAIN"] = "1"

from dangan.settings import *  # noqa: F403

# Argon2 is the production hasher (see test_settings in core); tests need speed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
