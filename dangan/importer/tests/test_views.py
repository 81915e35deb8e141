from __future__ import annotations

import datetime
import io
import random
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from dangan.core.identifiers import make_resident_id
from dangan.customers.models import Customer
from dangan.customers.services import customer_create
from dangan.importer.models import ImportJob
from dangan.importer.services import import_job_create, import_run
from dangan.importer.tests.helpers import dead_runner, xlsx_bytes

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_walks_the_wizard_from_upload_to_commit(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    client = _client(alice)
    number = make_resident_id(random.Random(9), birth=datetime.date(1966, 6, 6))  # noqa: S311
    upload = io.BytesIO(xlsx_bytes([["客户称呼", "证件"], ["韩梅梅", number], ["", ""]]))
    upload.name = "名单.xlsx"
    response = client.post("/import/", {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"])
    assert "客户称呼" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/import/{job.pk}/map/", {"col0": "name", "col1": "id_number"})
    report = client.get(response["Location"]).content.decode()
    assert "试导入报告" in report and "确认导入" in report
    assert not Customer.objects.exists()
    polled = client.get(f"/import/{job.pk}/", headers={"HX-Request": "true"})
    assert polled["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/import/{job.pk}/commit/")
    assert response.status_code == 302
    assert Customer.objects.filter(name="韩梅梅").exists()


def test_it_shows_the_progress_fragment_while_running(alice: Any) -> None:
    job = ImportJob.objects.create(
        sha256="0" * 64,
        original_name="a.csv",
        created_by=alice,
        status="running",
        total_rows=10,
        processed_rows=4,
    )
    response = _client(alice).get(f"/import/{job.pk}/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="40"' in body
    assert "<html" not in body


def test_it_keeps_jobs_to_their_owner(alice: Any, carol: Any, bob: Any) -> None:
    job = ImportJob.objects.create(sha256="0" * 64, original_name="a.csv", created_by=alice)
    assert _client(bob).get("/import/").status_code == 403
    assert _client(bob).get(f"/import/{job.pk}/").status_code in (403, 404)
    other = _client(carol)
    assert other.get(f"/import/{job.pk}/").status_code in (403, 404)
    assert other.post(f"/import/{job.pk}/commit/").status_code in (403, 404)


def test_it_offers_to_resume_an_interrupted_job(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    client = _client(alice)
    upload = io.BytesIO(xlsx_bytes([["姓名"], ["韩梅梅"], ["李雷"]], title=None))
    upload.name = "名单.xlsx"
    client.post("/import/", {"file": upload})
    dry = ImportJob.objects.get()
    # A committing job whose process died (killed): still marked running.
    job = ImportJob.objects.create(
        sha256=dry.sha256,
        original_name=dry.original_name,
        mapping={"姓名": "name"},
        dry_run=False,
        created_by=alice,
        status="running",
        total_rows=2,
    )
    ImportJob.objects.filter(pk=job.pk).update(runner=dead_runner())
    page = client.get(f"/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "继续导入" in page and "导入已中断" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/import/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert set(Customer.objects.values_list("name", flat=True)) == {"韩梅梅", "李雷"}
    # Done: nothing left to resume; the button is gone and a second POST is refused.
    assert "继续导入" not in client.get(f"/import/{job.pk}/").content.decode()
    again = client.post(f"/import/{job.pk}/resume/", follow=True).content.decode()
    assert "导入任务已完成,无需继续" in again


def test_the_api_resumes_a_failed_job(alice: Any, bob: Any, settings: Any) -> None:
    from rest_framework.test import APIClient

    job = ImportJob.objects.create(
        sha256="0" * 64, original_name="a.csv", created_by=alice, status="failed", dry_run=False
    )
    api = APIClient()
    api.force_authenticate(bob)
    assert api.post(f"/api/v1/imports/{job.pk}/resume/").status_code == 403
    api.force_authenticate(alice)
    assert api.get(f"/api/v1/imports/{job.pk}/").json()["resumable"] is True
    response = api.post(f"/api/v1/imports/{job.pk}/resume/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"


def test_the_report_links_a_row_to_the_customer_it_updated(alice: Any, tmp_path: Path) -> None:
    number = make_resident_id(random.Random(21), birth=datetime.date(1971, 7, 7))  # noqa: S311
    known = customer_create(actor=alice, kind="individual", name="李雷", id_number=number)
    sheet = tmp_path / "更新.xlsx"
    sheet.write_bytes(xlsx_bytes([["姓名", "身份证号", "手机"], ["李雷", number, "13800138000"]]))
    job = import_run(job=import_job_create(actor=alice, path=sheet, dry_run=False))
    assert [(row["status"], row["customer"]) for row in job.row_reports()] == [
        ("updated", known.pk)
    ]
    page = _client(alice).get(f"/import/{job.pk}/").content.decode()
    assert f'<a href="/customers/{known.pk}/">李雷</a>' in page


def test_a_dry_run_names_no_customer_it_did_not_keep(alice: Any, tmp_path: Path) -> None:
    number = make_resident_id(random.Random(22), birth=datetime.date(1972, 2, 2))  # noqa: S311
    sheet = tmp_path / "新.xlsx"
    sheet.write_bytes(xlsx_bytes([["姓名", "身份证号"], ["韩梅梅", number]]))
    job = import_run(job=import_job_create(actor=alice, path=sheet, dry_run=True))
    assert [(row["status"], "customer" in row) for row in job.row_reports()] == [("created", False)]
