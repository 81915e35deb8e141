from __future__ import annotations

import datetime
import io
import random
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import audit_actions
from dangan.core.identifiers import make_resident_id
from dangan.customers.models import Customer
from dangan.importer.models import ImportJob
from dangan.importer.tests.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sheet() -> io.BytesIO:
    number = make_resident_id(random.Random(3), birth=datetime.date(1988, 8, 8))  # noqa: S311
    data = xlsx_bytes([["姓名", "身份证号", "手机"], ["陶然", number, "13900139009"]])
    upload = io.BytesIO(data)
    upload.name = "客户.xlsx"
    return upload


def test_it_runs_an_import_job_through_the_api(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    client = _client(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/", {"file": _sheet(), "dry_run": "false"})
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    detail = client.get(f"/api/v1/imports/{job_id}/").json()
    assert detail["status"] == "done"
    assert detail["progress"]["committed"] == 1
    assert detail["rows"][0]["status"] == "created"
    assert Customer.objects.filter(name="陶然").exists()


def test_it_dry_runs_by_default_and_hides_jobs_from_others(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any, dave: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(alice).post("/api/v1/imports/", {"file": _sheet()})
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.dry_run and job.status == "done"
    assert not Customer.objects.filter(name="陶然").exists()
    assert _client(dave).get(f"/api/v1/imports/{job.pk}/").status_code in (403, 404)


def test_it_refuses_an_empty_upload_with_a_chinese_error(alice: Any) -> None:
    empty = io.BytesIO(b"")
    empty.name = "empty.xlsx"
    response = _client(alice).post("/api/v1/imports/", {"file": empty})
    assert response.status_code == 400
    assert "空" in response.content.decode()


def test_it_exports_only_what_the_user_may_see_masked_and_audited(
    carol: Any, bobs_customer: Any, daves_customer: Any
) -> None:
    response = _client(carol).get("/api/v1/exports/customers.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    names = [r[1] for r in rows[1:]]
    assert names == ["张三"]  # Bob's customer; Dave's (another department) is not there
    text = " ".join(str(v) for v in rows[1])
    assert "11010519491231002X" not in text and "*" in text  # identity number masked
    assert "13800138000" not in text
    assert audit_actions(action="export", actor=carol) == ["export"]


def test_it_exports_the_dossier_list_with_the_list_filters(carol: Any, car_dossier: Any) -> None:
    client = _client(carol)
    response = client.get("/api/v1/exports/dossiers.xlsx", {"q": car_dossier.archive_number})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        car_dossier.archive_number
    ]
    response = client.get("/api/v1/exports/dossiers.xlsx", {"q": "没有这样的档案"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet is not None and sheet.max_row == 1


def test_it_refuses_exports_without_the_permission(bob: Any, bobs_customer: Any) -> None:
    assert _client(bob).get("/api/v1/exports/customers.xlsx").status_code == 403
    assert audit_actions(action="export") == []
