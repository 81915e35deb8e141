"""Shared test fixtures: named personas, as in the style guide.

档案员 Alice (archivist, 档案室), 客户经理 Bob of 销售一部, Carol his manager,
Dave an account manager of 销售二部, Eve business staff, Sam the system admin,
Ada the auditor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# No per-example deadline: timings belong to benchmarks/, and a busy CI machine would
# otherwise turn a slow example into a failure.
hypothesis_settings.register_profile("dangan", deadline=None)
hypothesis_settings.load_profile("dangan")

# The data dir is a throw-away one per run: see dangan/test_settings.py.

PASSWORD = "Zhanghu-2026!"  # noqa: S105 - the personas' test password


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Counts kept for a minute per user (the home badge) must not leak between tests,
    whose users reuse the same ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _chinese_after_each_test() -> Iterator[None]:
    """A test that switches to English (test_i18n, the language selector) must not leave
    the next test in the same worker reading English messages."""
    yield
    from django.utils import translation

    translation.activate("zh-hans")


@pytest.fixture
def templates(db: Any) -> Any:
    from dangan.archives.loader import templates_load

    templates_load(actor=None)
    from dangan.archives.models import ArchiveType

    return {t.code: t for t in ArchiveType.objects.all()}


def ensure_default_roles() -> None:
    """Transactional tests flush the tables, rows from the data migrations included (roles,
    approval rules); put the defaults back the way the migrations made them."""
    import importlib

    from django.apps import apps

    from dangan.accounts.models import Role
    from dangan.archives.models import DossierTransition
    from dangan.circulation.models import ApprovalRule
    from dangan.paper.models import CheckPlan

    def run(module: str, function: str) -> None:
        getattr(importlib.import_module(module), function)(apps, None)

    if not Role.objects.filter(code="security_admin").exists():
        run("dangan.accounts.migrations.0002_default_roles", "create_roles")
        run("dangan.accounts.migrations.0004_access_control_roles", "forwards")
        run("dangan.accounts.migrations.0005_circulation_roles", "forwards")
        run("dangan.accounts.migrations.0006_handover_roles", "forwards")
        run("dangan.accounts.migrations.0007_intake_roles", "forwards")
        run("dangan.accounts.migrations.0008_import_export_roles", "forwards")
        run("dangan.accounts.migrations.0009_lifecycle_roles", "forwards")
        run("dangan.service.migrations.0002_defaults", "forwards")
        run("dangan.disposal.migrations.0002_defaults", "forwards")
        run("dangan.accounts.migrations.0010_finance_credit", "forwards")
        run("dangan.accounts.migrations.0011_dossier_discover", "forwards")
        run("dangan.accounts.migrations.0012_archivist_rules", "forwards")
        run("dangan.backups.migrations.0002_backup_role_and_key_check", "grant")
    if not ApprovalRule.objects.exists():
        run("dangan.circulation.migrations.0002_default_rules", "create_rules")
    if not ApprovalRule.objects.filter(kind__in=["disposal", "statement"]).exists():
        run("dangan.circulation.migrations.0007_one_engine_data", "create_rules")
    if not ApprovalRule.objects.filter(kind="change").exists():
        run("dangan.changes.migrations.0002_defaults", "create_rule")
    if not DossierTransition.objects.exists():
        run("dangan.archives.migrations.0005_dossier_transitions", "create_transitions")
        run("dangan.disposal.migrations.0006_item_restored", "restore_transitions")
    if not CheckPlan.objects.exists():
        run("dangan.paper.migrations.0002_periodic_checks", "default_plans")


def _user(username: str, role: str, department: str = "", full_name: str = "") -> Any:
    from dangan.accounts.services import user_create

    ensure_default_roles()

    user, _password = user_create(
        actor=None,
        username=username,
        roles=[role],
        password=PASSWORD,
        department=department,
        full_name=full_name,
    )
    return user


@pytest.fixture
def alice(db: Any) -> Any:
    return _user("alice", "archivist", "档案室", "李秀英")


@pytest.fixture
def bob(db: Any) -> Any:
    return _user("bob", "account_manager", "销售一部", "王建国")


@pytest.fixture
def carol(db: Any, bob: Any) -> Any:
    return _user("carol", "dept_manager", "销售一部", "陈静")


@pytest.fixture
def dave(db: Any) -> Any:
    return _user("dave", "account_manager", "销售二部", "刘洋")


@pytest.fixture
def eve(db: Any, bob: Any) -> Any:
    return _user("eve", "business_staff", "销售一部", "赵敏")


@pytest.fixture
def sam(db: Any) -> Any:
    return _user("sam", "sysadmin", "", "孙强")


@pytest.fixture
def ada(db: Any) -> Any:
    return _user("ada", "auditor", "", "周红")


@pytest.fixture
def bobs_customer(bob: Any) -> Any:
    from dangan.customers.services import customer_create

    return customer_create(
        actor=bob,
        kind="individual",
        name="张三",
        id_number="11010519491231002X",
        mobile="13800138000",
    )


@pytest.fixture
def daves_customer(dave: Any) -> Any:
    from dangan.customers.services import customer_create

    return customer_create(
        actor=dave, kind="organization", name="北京远大贸易有限公司", uscc="91350100M000100Y43"
    )


@pytest.fixture
def car_dossier(templates: Any, bob: Any, bobs_customer: Any) -> Any:
    from dangan.archives.services import dossier_create

    return dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(),
    )


def car_fields(**overrides: Any) -> dict[str, Any]:
    fields = {
        "vin": "1M8GDM9AXKP042788",
        "engine_no": "EA211-998877",
        "model": "明锐 1.5L",
        "color": "白色",
        "sales_consultant": "王建国",
        "purchase_date": "2026-10-08",
        "sales_channel": "展厅",
        "plated_by_dealer": True,
        "delivery_date": "2026-10-10",
    }
    fields.update(overrides)
    return fields


def another_car(n: int, **overrides: Any) -> dict[str, Any]:
    """car_fields of the n-th other car: a VIN of its own (一车一档: a second dossier for
    car_fields()'s VIN is refused)."""
    import random

    from dangan.core.identifiers import make_vin

    return car_fields(vin=make_vin(random.Random(1000 + n)), **overrides)  # noqa: S311


def _one_page_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)  # invariant: the same bytes on every run
    page.drawString(72, 720, "Dangan test scan")
    page.showPage()
    page.save()
    return buffer.getvalue()


PDF_BYTES = _one_page_pdf()


def _small_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (240, 240, 235)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_BYTES = _small_png()


@pytest.fixture
def pdf_bytes() -> bytes:
    return PDF_BYTES


@pytest.fixture
def png_bytes() -> bytes:
    return PNG_BYTES


def audit_actions(**filters: Any) -> list[str]:
    from dangan.audit.models import AuditEntry

    return list(
        AuditEntry.objects.filter(**filters).order_by("seq").values_list("action", flat=True)
    )


def grant_in_force(user: Any, dossier: Any, action: str = "view", **fields: Any) -> Any:
    """A grant on `dossier` for `user`, in force from a minute ago for an hour."""
    import datetime

    from django.utils import timezone

    from dangan.accounts.models import Grant

    now = timezone.now()
    return Grant.objects.create(
        user=user,
        object_type="dossier",
        object_id=dossier.pk,
        action=action,
        starts_at=now - datetime.timedelta(minutes=1),
        expires_at=now + datetime.timedelta(hours=1),
        **fields,
    )
