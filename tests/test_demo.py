"""The demo loader: every role, every archive type, complete and incomplete dossiers."""

from __future__ import annotations

import random
from typing import Any

import pytest

from dangan.accounts import permissions as perms
from dangan.accounts.models import User
from dangan.archives.checklist import dossier_checklist
from dangan.archives.loader import templates_load
from dangan.archives.models import ArchiveType, Dossier
from dangan.core import identifiers
from dangan.customers.models import Customer
from dangan.demo import DEMO_PASSWORD, DemoSummary, demo_load, make_pdf, make_png
from dangan.documents.models import Attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary(settings: Any) -> DemoSummary:
    # Argon2 is deliberately slow; these tests are about the data, not the hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    templates_load(actor=None)
    return demo_load(per_type=2)


def test_it_creates_users_of_every_role(summary: DemoSummary) -> None:
    roles = set(User.objects.filter(roles__isnull=False).values_list("roles__code", flat=True))
    assert roles >= set(perms.ROLE_CODES)
    clerk = User.objects.get(username="clerk")
    assert clerk.check_password(DEMO_PASSWORD)
    assert clerk.full_name and clerk.department is not None
    assert clerk.department.name == "档案室"
    assert [row[0] for row in summary.users][:1] == ["clerk"]
    assert len(summary.users) == len(perms.ROLE_CODES) + 1  # two account managers


def test_it_creates_dossiers_for_every_archive_type(summary: DemoSummary) -> None:
    active = ArchiveType.objects.filter(is_active=True)
    assert active.count() >= 7
    for archive_type in active:
        assert Dossier.objects.filter(archive_type=archive_type).count() == 2, archive_type.code
    assert summary.dossiers == Dossier.objects.count() == 2 * active.count()
    # Company files (customer-less types, issue 23 §8) have no customer.
    of_customers = Dossier.objects.filter(customer__isnull=False).count()
    assert summary.customers == Customer.objects.count() == of_customers


def test_it_gives_every_dossier_a_unique_archive_number(summary: DemoSummary) -> None:
    numbers = list(Dossier.objects.values_list("archive_number", flat=True))
    assert all(number.strip() for number in numbers)
    assert len(numbers) == len(set(numbers))


def test_it_fills_required_fields_and_location(summary: DemoSummary) -> None:
    for dossier in Dossier.objects.select_related("archive_type"):
        for spec in dossier.archive_type.field_schema():
            if spec.get("required") and spec.get("type") != "bool":
                assert dossier.fields.get(spec["key"]) not in (None, ""), spec["key"]
        assert dossier.location_room in ("档案室A", "档案室B")
        assert len(dossier.location_parts) == 5


def test_it_makes_complete_and_incomplete_dossiers(summary: DemoSummary) -> None:
    states = [
        dossier_checklist(dossier).complete
        for dossier in Dossier.objects.select_related("archive_type", "customer")
    ]
    assert True in states
    assert False in states
    assert summary.complete == states.count(True)
    assert summary.incomplete == states.count(False)
    assert summary.complete > summary.incomplete


def test_it_creates_customers_with_valid_identifiers(summary: DemoSummary) -> None:
    customers = list(Customer.objects.all())
    kinds = {customer.kind for customer in customers}
    assert kinds == {Customer.Kind.INDIVIDUAL, Customer.Kind.ORGANIZATION}
    for customer in customers:
        if customer.kind == Customer.Kind.INDIVIDUAL:
            assert identifiers.validate_resident_id(customer.id_number) == customer.id_number
            assert customer.birth_date == identifiers.resident_id_birth_date(customer.id_number)
        else:
            assert identifiers.validate_uscc(customer.uscc) == customer.uscc
            assert customer.legal_representative
        if customer.mobile:
            identifiers.validate_mobile(customer.mobile)
        assert customer.owner.username in ("sales1", "sales2")
        assert customer.department == customer.owner.department


def test_it_attaches_real_scans(summary: DemoSummary) -> None:
    attachments = list(Attachment.objects.select_related("blob"))
    assert attachments
    assert {a.blob.content_type for a in attachments} <= {"application/pdf", "image/png"}
    assert len({a.blob_id for a in attachments}) == len(attachments)


def test_it_is_idempotent(summary: DemoSummary) -> None:
    again = demo_load(per_type=2)
    assert Customer.objects.count() == summary.customers
    assert again.created is False
    assert (again.customers, again.dossiers, again.documents) == (
        summary.customers,
        summary.dossiers,
        summary.documents,
    )
    assert again.users == summary.users


def test_it_describes_the_logins_in_chinese(summary: DemoSummary) -> None:
    text = summary.describe()
    assert "clerk" in text and DEMO_PASSWORD in text
    assert "档案管理员" in text and "建议先以" in text
    assert f"客户 {summary.customers} 个" in text


def test_it_generates_distinct_valid_scan_files() -> None:
    first = make_pdf("购房合同", ["a"])
    second = make_pdf("定购协议", ["a"])
    assert first.startswith(b"%PDF-1.4") and first.rstrip().endswith(b"%%EOF")
    assert first != second
    png = make_png("照片", random.Random(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
