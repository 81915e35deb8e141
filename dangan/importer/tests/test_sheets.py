"""What a clerk's sheet looks like in the field (#29): headers with notes and marks,
columns the importer does not know (listed, and mappable before the run), blank and
totals rows, a sample sheet per archive type, and the refused rows to download."""

from __future__ import annotations

import datetime
import io
import random
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import audit_actions
from dangan.core.errors import ApplicationError
from dangan.core.identifiers import make_resident_id
from dangan.customers.models import Customer
from dangan.importer import services
from dangan.importer.models import ImportJob
from dangan.importer.tests.helpers import xlsx_bytes

pytestmark = pytest.mark.django_db

RNG = random.Random(29)  # noqa: S311
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _number(day: int) -> str:
    return make_resident_id(RNG, birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=day))


def _path(tmp_path: Path, rows: list[list[Any]], name: str = "客户.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows, title=None, hidden_first=False))
    return path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "header",
    [
        "手机号（必填）",
        "手机号(选填)",
        "*手机号",
        "手机号 【可不填】",
        " 手机 ",
        "联系电话:",
        "手机号＊",
    ],
)
def test_it_matches_headers_with_notes_marks_and_either_width(header: str) -> None:
    mapping = services.guess_mapping(["客户名称(全称)", header, "证件号码（身份证）"], None)
    assert mapping == {
        "客户名称(全称)": "name",
        header: "mobile",
        "证件号码（身份证）": "id_number",
    }


def test_it_lists_the_unused_columns_and_maps_them_before_the_run(
    tmp_path: Path, alice: Any
) -> None:
    rows = [
        ["姓名", "手机号（必填）", "客户来源", "紧急联系手机"],
        ["周七", "13800138007", "展会", ""],
    ]
    job = services.import_job_create(actor=alice, path=_path(tmp_path, rows))
    assert services.unused_columns(job.mapping) == ["客户来源", "紧急联系手机"]
    job = services.import_job_map(actor=alice, job=job, mapping={"客户来源": "备注"})
    assert job.mapping["客户来源"] == "remarks"
    job = services.import_run(job=job)
    assert job.report["unused_columns"] == ["紧急联系手机"]
    # The same header row maps itself next time.
    again = services.import_job_create(actor=alice, path=_path(tmp_path, rows, "again.xlsx"))
    assert again.mapping["客户来源"] == "remarks"
    with pytest.raises(ApplicationError, match="表格中没有“来源”列"):
        services.import_job_map(actor=alice, job=again, mapping={"来源": "remarks"})
    with pytest.raises(ApplicationError, match="未知的字段“星座”"):
        services.import_job_map(actor=alice, job=again, mapping={"客户来源": "星座"})
    # A field takes one column: mapping another column to it unmaps the first.
    job = services.import_job_map(actor=alice, job=again, mapping={"紧急联系手机": "mobile"})
    assert job.mapping["紧急联系手机"] == "mobile" and job.mapping["手机号（必填）"] == ""


def test_it_skips_blank_and_totals_rows_and_says_so(tmp_path: Path, alice: Any) -> None:
    rows = [
        ["序号", "姓名", "身份证号", "金额"],
        [1, "甲一", _number(1), 100],
        [2, None, None, None],  # blank in every imported column
        [None, None, None, None],  # blank throughout
        [3, "乙二", _number(2), 200],
        [None, "合 计", None, 300],
        ["小计:", None, None, 300],
        ["总计", "", "", 600],
    ]
    job = services.import_run(
        job=services.import_job_create(actor=alice, path=_path(tmp_path, rows), dry_run=False)
    )
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "error": 0,
        "skipped": 5,
    }
    assert job.report["skipped"] == {"blank": 2, "total": 3}
    assert job.committed_rows == 2 and job.error_rows == 0
    assert set(Customer.objects.values_list("name", flat=True)) == {"甲一", "乙二"}
    skipped = {r["row"]: r["reason"] for r in job.row_reports() if r["status"] == "skipped"}
    assert skipped == {3: "blank", 4: "blank", 6: "total", 7: "total", 8: "total"}


def test_the_cli_maps_columns_lists_the_unused_ones_and_keeps_the_report_format(
    tmp_path: Path, alice: Any, capsys: Any
) -> None:
    from dangan import cli

    rows = [
        ["姓名", "证件号", "电话（客户本人）", "介绍人"],
        ["孙八", _number(3), "13800138008", "老王"],
        ["", "", "", "备注而已"],
        ["钱九", "12345", "13800138009", "老李"],
        ["合计", "", "", ""],
    ]
    path = _path(tmp_path, rows)
    code = cli.main(
        ["import", "customers", str(path), "--user", "alice", "--map", "电话（客户本人）=手机号码"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "未导入的列: 介绍人" in out and "--map" in out
    assert "第 4 行 错误 钱九 证件号码:" in out  # the row number in the sheet
    assert "跳过 2 行: 空行 1,合计行 1" in out
    assert Customer.objects.get(name="孙八").mobile == "13800138008"
    assert cli.main(["import", "customers", str(path), "--user", "alice", "--map", "无此列=mobile"])
    assert "表格中没有“无此列”列" in capsys.readouterr().err


def test_the_api_takes_a_mapping_and_answers_the_unused_columns(
    alice: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    data = xlsx_bytes(
        [["姓名", "手机(必填)", "爱好", "来源"], ["吴十", "13800138010", "游泳", "网站"]]
    )
    upload = io.BytesIO(data)
    upload.name = "客户.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        answer = _client(alice).post(
            "/api/v1/imports/", {"file": upload, "map": ["来源=remarks"], "dry_run": "false"}
        )
    assert answer.status_code == 202, answer.content
    assert answer.json()["unused_columns"] == ["爱好"]
    assert answer.json()["columns"]["手机(必填)"] == "mobile"
    assert Customer.objects.get(name="吴十").remarks == "网站"
    upload.seek(0)
    bad = _client(alice).post("/api/v1/imports/", {"file": upload, "map": ["来源"]})
    assert bad.status_code == 400 and "map" in bad.json()


def test_it_offers_a_sample_sheet_per_archive_type(templates: Any, alice: Any, dave: Any) -> None:
    response = _client(alice).get("/import/sample.xlsx", {"archive_type": "CAR-SALE"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["名称", "客户类型", "证件类型"] and "车架号" in headers
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(row=1, column=headers.index("车架号") + 1).comment.text.startswith("必填")
    assert sheet.max_row == 2  # the header and one example row
    assert book.worksheets[1].title == "填写说明"
    # The sample's own headers map themselves, and its example row imports.
    mapping = services.guess_mapping([str(h) for h in headers], templates["CAR-SALE"])
    assert not services.unused_columns(mapping)
    api = _client(alice).get("/api/v1/imports/sample/", {"archive_type": "HOTEL-GUEST"})
    assert api.status_code == 200 and "HOTEL-GUEST" in api["Content-Disposition"]
    assert (
        _client(alice).get("/api/v1/imports/sample/", {"archive_type": "NONE"}).status_code == 400
    )
    # Without the import permission: refused.
    assert _client(dave).get("/import/sample.xlsx").status_code == 403
    assert _client(dave).get("/api/v1/imports/sample/").status_code == 403


def test_it_gives_the_refused_rows_to_mend_and_import_again(
    tmp_path: Path, alice: Any, dave: Any, settings: Any
) -> None:
    good, bad = _number(4), _number(5)
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [
        ["姓名", "身份证号", "手机号", "车牌"],
        ["郑一", good, "13800138011", "京A1"],
        ["郑二", bad, "13800138012", "京A2"],
        ["郑三", "", "1380013", "京A3"],
    ]
    job = services.import_run(
        job=services.import_job_create(actor=alice, path=_path(tmp_path, rows), dry_run=False)
    )
    assert job.error_rows == 2
    response = _client(alice).get(f"/import/{job.pk}/refused.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet is not None
    got = [[c.value for c in row] for row in sheet.iter_rows()]
    assert got[0] == ["姓名", "身份证号", "手机号", "车牌", "错误原因"]
    assert got[1][:4] == ["郑二", bad, "13800138012", "京A2"]
    assert got[1][4].startswith("第 3 行:证件号码:")
    assert got[2][:4] in (["郑三", None, "1380013", "京A3"], ["郑三", "", "1380013", "京A3"])
    assert got[2][4].startswith("第 4 行:手机号码:")
    assert sheet.freeze_panes == "A2"
    assert audit_actions(action="export")[-1:] == ["export"]
    page = _client(alice).get(f"/import/{job.pk}/").content.decode()
    assert f"/import/{job.pk}/refused.xlsx" in page
    api = _client(alice).get(f"/api/v1/imports/{job.pk}/refused/")
    assert api.status_code == 200 and api["Cache-Control"] == "no-store"
    # Somebody else's job: not found.
    assert _client(dave).get(f"/import/{job.pk}/refused.xlsx").status_code in (403, 404)
    assert _client(dave).get(f"/api/v1/imports/{job.pk}/refused/").status_code in (403, 404)


def test_the_wizard_shows_the_unused_columns_on_the_mapping_step(
    tmp_path: Path, alice: Any
) -> None:
    data = xlsx_bytes([["姓名", "手机号（选填）", "微信号"], ["冯五", "13800138005", "fw5"]])
    upload = io.BytesIO(data)
    upload.name = "客户.xlsx"
    client = _client(alice)
    response = client.post("/import/", {"file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "以下列目前不会导入" in page and "微信号" in page
    job = ImportJob.objects.get()
    assert job.mapping["手机号（选填）"] == "mobile"
