"""年度立卷 (issue 23 §6): closing a year numbers its volumes, binds the terminated and
moved-out dossiers apart, applies the type's cross-year rule and freezes the year's
papers; the service, the API, the CLI, the pages and the printed catalogues."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PDF_BYTES, another_car, audit_actions
from dangan import cli
from dangan.archives import lifecycle, volumes
from dangan.archives.models import ArchiveType, Dossier, YearVolume
from dangan.archives.services import dossier_create
from dangan.audit.models import AuditEntry
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.documents.services import document_add, document_supersede, document_void

pytestmark = pytest.mark.django_db


def _car(bob: Any, customer: Any, templates: Any, n: int, year: int = 2025, **kw: Any) -> Dossier:
    return dossier_create(
        actor=bob,
        customer=customer,
        archive_type=templates["CAR-SALE"],
        fields=another_car(n),
        volume_year=year,
        **kw,
    )


def _end(alice: Any, dossier: Dossier, to: str, day: str = "2025-11-20") -> None:
    lifecycle.dossier_transition(
        actor=alice, dossier=dossier, to=to, reason="合同解除", effective=day
    )


@pytest.fixture
def year_2025(alice: Any, bob: Any, bobs_customer: Any, templates: Any) -> list[Dossier]:
    """Three 2025 car sales (the second terminated, the third moved out, in 2025) and one
    of 2026."""
    cars = [_car(bob, bobs_customer, templates, n) for n in (1, 2, 3)]
    _end(alice, cars[1], "terminated")
    _end(alice, cars[2], "moved_out")
    _car(bob, bobs_customer, templates, 4, year=2026)
    return [Dossier.objects.get(pk=d.pk) for d in cars]


def _bound(volume: YearVolume) -> dict[int, tuple[int | None, bool]]:
    return {
        d.pk: (d.volume_number, d.bound_apart) for d in Dossier.objects.filter(year_volume=volume)
    }


# --- the service ----------------------------------------------------------------------


def test_it_numbers_the_years_volumes_and_binds_the_ended_ones_apart(
    alice: Any, bob: Any, bobs_customer: Any, templates: Any, year_2025: list[Dossier]
) -> None:
    gone = _car(bob, bobs_customer, templates, 5)
    Dossier.objects.filter(pk=gone.pk).update(status="destroyed")  # nothing left to bind
    volume = volumes.year_close(actor=alice, archive_type=templates["CAR-SALE"], year=2025)
    assert (volume.volumes, volume.apart, volume.closed_by) == (1, 2, alice)
    first, ended, moved = year_2025
    assert _bound(volume) == {first.pk: (1, False), ended.pk: (1, True), moved.pk: (2, True)}
    assert not Dossier.objects.filter(volume_year=2026, year_volume__isnull=False).exists()
    assert audit_actions(object_type="dossier", object_id=str(first.pk))[-1] == "year_close"
    entry = AuditEntry.objects.get(action="year_close", object_type="yearvolume")
    assert entry.detail["volumes"] == 1 and entry.detail["apart"] == 2
    with pytest.raises(InvalidTransition, match="已立卷,此后没有新增"):
        volumes.year_close(actor=alice, archive_type=templates["CAR-SALE"], year=2025)
    refused = AuditEntry.objects.filter(action="year_close", outcome="denied")
    assert refused.count() == 1


def test_it_freezes_the_closed_years_papers_and_keeps_later_ones_open(
    alice: Any, templates: Any, year_2025: list[Dossier]
) -> None:
    first = year_2025[0]
    item = templates["CAR-SALE"].items.get(code="SALES_CONTRACT")
    old = document_add(
        actor=alice, dossier=first, checklist_item=item, doc_date=datetime.date(2025, 3, 1)
    )
    volumes.year_close(actor=alice, archive_type=templates["CAR-SALE"], year=2025)
    first.refresh_from_db()
    with pytest.raises(InvalidTransition, match="封卷") as refused:
        document_add(
            actor=alice, dossier=first, checklist_item=item, doc_date=datetime.date(2025, 6, 1)
        )
    assert refused.value.field == "doc_date"
    assert AuditEntry.objects.filter(
        action="create", object_id=str(first.pk), outcome="denied"
    ).exists()
    with pytest.raises(InvalidTransition, match="封卷"):
        document_void(actor=alice, document=old, reason="错件")
    with pytest.raises(InvalidTransition, match="封卷"):
        document_supersede(
            actor=alice, document=old, reason="错件", file_name="a.pdf", file_chunks=[PDF_BYTES]
        )
    assert first.documents.count() == 1
    later = document_add(
        actor=alice, dossier=first, checklist_item=item, doc_date=datetime.date(2026, 1, 5)
    )
    assert later.piece_number == 2  # next year's papers still go in the one bag


def test_the_latest_rule_waits_for_a_file_running_into_next_year(
    alice: Any, carol: Any, templates: Any
) -> None:
    from dangan.archives import company

    daily = templates["CO-DAILY"]
    assert daily.cross_year == ArchiveType.CrossYear.LATEST
    plan = company.company_dossier_create(
        actor=carol,
        archive_type=daily,
        department=carol.department,
        title="2025—2026 年度规划",
        volume_year=2025,
    )
    document_add(
        actor=carol,
        dossier=plan,
        checklist_item=None,
        title="规划终稿",
        doc_date=datetime.date(2026, 1, 10),
    )
    assert volumes.year_plan(actor=alice, archive_type=daily, year=2025).volumes == []
    with pytest.raises(ApplicationError, match="没有可立卷"):
        volumes.year_close(actor=alice, archive_type=daily, year=2025, department=carol.department)
    assert [
        d.pk for d in volumes.year_plan(actor=alice, archive_type=daily, year=2026).volumes
    ] == [plan.pk]


def test_it_refuses_while_a_dossier_is_on_loan_or_for_a_future_year(
    alice: Any, bob: Any, templates: Any, year_2025: list[Dossier]
) -> None:
    car = templates["CAR-SALE"]
    Dossier.objects.filter(pk=year_2025[0].pk).update(status="on_loan")
    with pytest.raises(InvalidTransition, match="借出未还") as on_loan:
        volumes.year_close(actor=alice, archive_type=car, year=2025)
    assert year_2025[0].archive_number in str(on_loan.value.message)
    assert not YearVolume.objects.exists()
    assert not Dossier.objects.filter(year_volume__isnull=False).exists()
    future = timezone.localdate().year + 1
    with pytest.raises(ApplicationError, match="已到的年度") as too_late:
        volumes.year_close(actor=alice, archive_type=car, year=future)
    assert too_late.value.field == "year"
    with pytest.raises(Forbidden):
        volumes.year_close(actor=bob, archive_type=car, year=2025)
    assert AuditEntry.objects.filter(action="year_close", outcome="denied").count() == 2
    assert AuditEntry.objects.filter(action="year_close", outcome="failed").count() == 1


def test_a_dossier_ended_later_leaves_its_years_volumes_for_the_years_catalogue_apart(
    alice: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    """Seed 001: moved-out files are taken out and bound apart the year they move out,
    even when an earlier year's volumes held them."""
    car = templates["CAR-SALE"]
    first, second = (_car(bob, bobs_customer, templates, n) for n in (1, 2))
    closed_2025 = volumes.year_close(actor=alice, archive_type=car, year=2025)
    _end(alice, first, "moved_out", day="2026-03-01")
    new = _car(bob, bobs_customer, templates, 3, year=2026)
    closed_2026 = volumes.year_close(actor=alice, archive_type=car, year=2026)
    assert _bound(closed_2026) == {new.pk: (1, False), first.pk: (1, True)}
    assert _bound(closed_2025) == {second.pk: (2, False)}
    assert closed_2025.volumes == 2  # as closed; the page says one has moved on
    entry = (
        AuditEntry.objects.filter(action="year_close", object_id=str(first.pk))
        .order_by("seq")
        .last()
    )
    assert entry is not None and entry.detail["from_volume"] == "2025/1"
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("archives:year_volume", args=[closed_2025.pk])).content.decode()
    assert "已移入以后年度的另行装订目录" in page


def test_closing_again_binds_what_was_filed_since_numbered_on(
    alice: Any, bob: Any, bobs_customer: Any, templates: Any, year_2025: list[Dossier]
) -> None:
    car = templates["CAR-SALE"]
    volume = volumes.year_close(actor=alice, archive_type=car, year=2025)
    late = _car(bob, bobs_customer, templates, 9)  # a December sale filed in January
    plan = volumes.year_plan(actor=alice, archive_type=car, year=2025)
    assert plan.closed == volume and [n for _d, _a, n in volumes.numbered(plan)] == [2]
    again = volumes.year_close(actor=alice, archive_type=car, year=2025)
    assert again == volume
    volume.refresh_from_db()
    assert (volume.volumes, volume.apart) == (2, 2)
    assert _bound(volume)[late.pk] == (2, False)
    assert YearVolume.objects.count() == 1


def test_a_department_closes_its_own_and_never_all(
    alice: Any, carol: Any, dave: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    mine = _car(bob, bobs_customer, templates, 1)
    with pytest.raises(ApplicationError, match="本部门") as refused:
        volumes.year_close(actor=carol, archive_type=car, year=2025)
    assert refused.value.field == "department"
    with pytest.raises(ApplicationError, match="本部门"):
        volumes.year_close(actor=carol, archive_type=car, year=2025, department=dave.department)
    volume = volumes.year_close(
        actor=carol, archive_type=car, year=2025, department=carol.department
    )
    assert _bound(volume) == {mine.pk: (1, False)}
    # The year is closed by department now: all at once is refused, naming it.
    with pytest.raises(InvalidTransition, match="已按部门立卷") as by_department:
        volumes.year_close(actor=alice, archive_type=car, year=2025)
    assert by_department.value.field == "department"
    assert list(volumes.volumes_for(carol)) == [volume]
    assert volumes.access_volume(alice, volume.pk) == volume
    other = YearVolume.objects.create(
        archive_type=car, department=dave.department, year=2024, cross_year="opening"
    )
    with pytest.raises(NotFound):
        volumes.access_volume(carol, other.pk)


def test_a_dossier_above_the_closers_clearance_refuses_the_close(
    carol: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    _car(bob, bobs_customer, templates, 1)
    _car(bob, bobs_customer, templates, 2, confidentiality="top_secret")
    plan = volumes.year_plan(actor=carol, archive_type=car, year=2025, department=carol.department)
    assert (len(plan.volumes), plan.hidden) == (1, 1)
    with pytest.raises(Forbidden, match="请由档案室立卷"):
        volumes.year_close(actor=carol, archive_type=car, year=2025, department=carol.department)
    assert not Dossier.objects.filter(year_volume__isnull=False).exists()


def test_the_catalogue_counts_what_the_reader_may_not_see_and_what_moved_on(
    alice: Any, carol: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    car = templates["CAR-SALE"]
    seen = _car(bob, bobs_customer, templates, 1)
    _car(bob, bobs_customer, templates, 2, confidentiality="top_secret")
    volume = volumes.year_close(actor=alice, archive_type=car, year=2025)
    for_alice = volumes.volume_catalogue(alice, volume)
    assert (len(for_alice.bound), for_alice.hidden, for_alice.moved_on) == (2, 0, 0)
    for_carol = volumes.volume_catalogue(carol, volume)
    assert ([d.pk for d in for_carol.bound], for_carol.hidden) == ([seen.pk], 1)
    _end(alice, seen, "moved_out", day="2026-03-01")
    volumes.year_close(actor=alice, archive_type=car, year=2026)
    assert volumes.volume_catalogue(alice, volume).moved_on == 1


def test_the_bags_bound_apart_are_ordered_by_building_and_floor(
    alice: Any, bobs_customer: Any, templates: Any
) -> None:
    prop = templates["PROPERTY"]
    made = {}
    for building, floor, unit in (("3", 12, "3-1203"), ("1", 5, "1-0502"), ("3", 2, "3-0201")):
        made[unit] = dossier_create(
            actor=alice,
            customer=bobs_customer,
            archive_type=prop,
            volume_year=2025,
            fields={
                "building": building,
                "floor": floor,
                "unit": unit,
                "move_in_date": "2025-01-05",
            },
        )
        _end(alice, made[unit], "moved_out")
    volume = volumes.year_close(actor=alice, archive_type=prop, year=2025)
    numbers = {unit: _bound(volume)[d.pk] for unit, d in made.items()}
    assert numbers == {"1-0502": (1, True), "3-0201": (2, True), "3-1203": (3, True)}


# --- the typed rules ---------------------------------------------------------------------


def test_the_cross_year_rule_is_part_of_the_types_rules(alice: Any, templates: Any) -> None:
    client = APIClient()
    client.force_authenticate(alice)
    url = "/api/v1/archive-types/CAR-SALE/"
    body = client.get(url).json()
    assert body["cross_year"] == "opening"
    bad = client.put(url, {**body, "cross_year": "sometimes"}, format="json")
    assert bad.status_code == 400 and "cross_year" in bad.json()
    good = client.put(url, {**body, "cross_year": "latest"}, format="json")
    assert good.status_code == 200, good.content
    assert ArchiveType.objects.get(code="CAR-SALE").cross_year == "latest"
    page = Client()
    page.force_login(alice)
    rules = reverse("rules:type_rules", args=[templates["CAR-SALE"].pk])
    assert "跨年度立卷规则" in page.get(rules).content.decode()


# --- the API ---------------------------------------------------------------------------


def test_the_api_closes_a_year_and_gives_its_catalogue(
    alice: Any, bob: Any, year_2025: list[Dossier]
) -> None:
    client = APIClient()
    client.force_authenticate(alice)
    url = "/api/v1/year-volumes/"
    missing = client.post(url, {"archive_type": "NOPE", "year": 2025}, format="json")
    assert missing.status_code == 400 and "archive_type" in missing.json()
    unknown = client.post(url, {"archive_type": "CAR-SALE", "year": 2025, "x": 1}, format="json")
    assert unknown.status_code == 400 and "x" in unknown.json()
    bad_year = client.post(url, {"archive_type": "CAR-SALE", "year": "去年"}, format="json")
    assert bad_year.status_code == 400 and "year" in bad_year.json()
    nowhere = client.post(
        url, {"archive_type": "CAR-SALE", "year": 2025, "department": "NOPE"}, format="json"
    )
    assert nowhere.status_code == 400 and "department" in nowhere.json()
    dry = client.post(
        url, {"archive_type": "CAR-SALE", "year": 2025, "dry_run": True}, format="json"
    )
    assert dry.status_code == 200 and len(dry.json()["apart"]) == 2
    assert not YearVolume.objects.exists()
    response = client.post(url, {"archive_type": "CAR-SALE", "year": 2025}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [d["archive_number"] for d in body["dossiers"]] == [year_2025[0].archive_number]
    assert [d["status"] for d in body["catalogue_apart"]] == ["terminated", "moved_out"]
    assert body["department"] is None and body["volumes"] == 1
    again = client.post(url, {"archive_type": "CAR-SALE", "year": 2025}, format="json")
    assert again.status_code == 409 and "year" in again.json()
    assert client.get(f"{url}{body['id']}/").json()["apart"] == 2
    assert client.get(url, {"year": 2025}).json()["count"] == 1
    pdf = client.get(f"{url}{body['id']}/print/apart.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    other = APIClient()
    other.force_authenticate(bob)
    assert other.get(url).status_code == 403
    assert other.post(url, {"archive_type": "CAR-SALE", "year": 2025}).status_code == 403
    assert other.get(f"{url}{body['id']}/").status_code == 403


def test_the_printed_catalogues_list_the_volumes_by_number(
    alice: Any, templates: Any, year_2025: list[Dossier]
) -> None:
    from pypdf import PdfReader

    from dangan.paper.lists import year_volume_catalogue_pdf

    volume = volumes.year_close(actor=alice, archive_type=templates["CAR-SALE"], year=2025)
    for apart, numbers in ((False, year_2025[:1]), (True, year_2025[1:])):
        content = year_volume_catalogue_pdf(actor=alice, volume=volume, apart=apart)
        import io

        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert ("另行装订目录" if apart else "案卷目录") in text
        assert all(d.archive_number in text for d in numbers)
    assert audit_actions(object_type="yearvolume").count("print") == 2


# --- the CLI and the pages ---------------------------------------------------------------


def test_the_cli_previews_and_closes(alice: Any, year_2025: list[Dossier], capsys: Any) -> None:
    assert cli.main(["year-close", "--type", "CAR-SALE", "--year", "2025", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "另行装订 2 卷" in out and year_2025[2].archive_number in out
    assert not YearVolume.objects.exists()
    code = cli.main(["year-close", "--type", "CAR-SALE", "--year", "2025", "--user", "alice"])
    assert code == 0
    assert YearVolume.objects.get().volumes == 1
    assert cli.main(["year-close", "--type", "NOPE", "--year", "2025"]) == 2
    again = cli.main(["year-close", "--type", "CAR-SALE", "--year", "2025"])
    assert again == 2 and "已立卷" in capsys.readouterr().err


def test_the_page_previews_and_closes(client: Client, alice: Any, year_2025: list[Dossier]) -> None:
    client.force_login(alice)
    url = reverse("archives:year_volumes")
    assert "年度立卷" in client.get(reverse("archives:dossier_list")).content.decode()
    car = ArchiveType.objects.get(code="CAR-SALE")
    preview = client.get(url, {"archive_type": car.pk, "year": 2025})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert year_2025[1].archive_number in page and "确认立卷" in page
    done = client.post(url, {"archive_type": car.pk, "year": 2025, "department": ""})
    volume = YearVolume.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("archives:year_volume", kwargs={"pk": volume.pk})
    detail = client.get(done["Location"]).content.decode()
    assert year_2025[2].archive_number in detail and "打印另行装订目录" in detail
    refused = client.post(url, {"archive_type": car.pk, "year": 2025, "department": ""})
    assert refused.status_code == 200 and "已立卷,此后没有新增的档案" in refused.content.decode()


def test_the_page_says_what_is_wrong_in_chinese(
    client: Client, alice: Any, bob: Any, year_2025: list[Dossier]
) -> None:
    client.force_login(alice)
    url = reverse("archives:year_volumes")
    car = ArchiveType.objects.get(code="CAR-SALE")
    blank = client.get(url, {"archive_type": "", "year": ""}).content.decode()
    assert "请选择档案类型" in blank and "请填写年度" in blank
    words = client.get(url, {"archive_type": car.pk, "year": "去年"}).content.decode()
    assert "年度应为四位数字" in words
    future = client.post(url, {"archive_type": car.pk, "year": 2999}).content.decode()
    assert "只能对已到的年度立卷" in future
    Dossier.objects.filter(pk=year_2025[0].pk).update(status="on_loan")
    loaned = client.post(url, {"archive_type": car.pk, "year": 2025}).content.decode()
    assert "借出未还" in loaned and 'id="year-close"' not in loaned
    assert not YearVolume.objects.exists()
    client.force_login(bob)
    assert client.get(url).status_code == 403
    assert "年度立卷" not in client.get(reverse("archives:dossier_list")).content.decode()


def test_a_department_manager_sees_only_their_department(
    client: Client, carol: Any, dave: Any, bob: Any, bobs_customer: Any, templates: Any
) -> None:
    _car(bob, bobs_customer, templates, 1)
    client.force_login(carol)
    url = reverse("archives:year_volumes")
    page = client.get(url).content.decode()
    assert "全部部门" not in page.split('id="closed-years"')[0]
    car = templates["CAR-SALE"]
    done = client.post(
        url, {"archive_type": car.pk, "year": 2025, "department": carol.department_id}
    )
    assert done.status_code == 302
    other = YearVolume.objects.create(
        archive_type=car, department=dave.department, year=2024, cross_year="opening"
    )
    assert client.get(reverse("archives:year_volume", args=[other.pk])).status_code == 404
