"""Fixtures for use of the archive: more personas and the migration-seeded defaults."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from conftest import _user, ensure_default_roles


def ensure_circulation_defaults() -> None:
    ensure_default_roles()  # roles with this app's permissions, and the default rules


@pytest.fixture(autouse=True)
def _circulation_defaults(db: Any) -> None:
    ensure_circulation_defaults()


@pytest.fixture
def frank(db: Any) -> Any:
    """Customer service in 销售二部: sees every customer, belongs to another department."""
    return _user("frank", "customer_service", "销售二部", "吴刚")


@pytest.fixture
def dora(db: Any) -> Any:
    return _user("dora", "director", "总经办", "郑丽")


@pytest.fixture
def otto(db: Any) -> Any:
    """A second archivist."""
    return _user("otto", "archivist", "档案室", "钱多")


def later(**delta: Any) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


def tonight() -> datetime.datetime:
    """The last second of today (local): the latest a same-day period may end."""
    return timezone.localtime().replace(hour=23, minute=59, second=59, microsecond=0)
