"""Search results as Excel (issue 6 gaps §4): every match the actor may see, one sheet
per kind, masked as on the pages, audited with the query, refused without data.export."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import audit_actions
from dangan.accounts.models import Role
from dangan.audit.models import AuditEntry
from dangan.cli import main as cli_main
from dangan.customers.services import customer_create
from dangan.documents.services import document_add
from dangan.importer import exports
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db

Sheets = dict[str, list[tuple[Any, ...]]]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sheets(data: bytes) -> Sheets:
    """Sheet title → data rows (the header row left out)."""
    book = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(min_row=2, values_only=True)) for ws in book.worksheets}


def export(user: Any, **params: Any) -> Sheets:
    response = _client(user).get("/api/v1/exports/search.xlsx", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == exports.XLSX_TYPE
    return _sheets(b"".join(response.streaming_content))


@pytest.fixture
def world(
    templates: Any, bob: Any, carol: Any, dave: Any, bobs_customer: Any, car_dossier: Any
) -> dict[str, Any]:
    """Bob's 张三 (with a car dossier and its contract), Dave's 张三丰 in 销售二部, and
    Dave made a manager of 销售二部, who may export."""
    dave.roles.add(Role.objects.get(code="dept_manager"))
    daves = customer_create(actor=dave, kind="individual", name="张三丰", mobile="13600136000")
    contract = document_add(
        actor=bob, dossier=car_dossier, checklist_item=None, title="张三购车合同"
    )
    rebuild_index()
    return {"bobs": bobs_customer, "daves": daves, "car": car_dossier, "contract": contract}


def test_it_exports_what_the_search_finds_one_sheet_per_kind(carol: Any, world: Any) -> None:
    sheets = export(carol, q="张三")
    assert list(sheets) == ["客户", "档案", "文件"]
    assert [row[1] for row in sheets["客户"]] == ["张三"]  # not Dave's 张三丰 (销售二部)
    assert [row[0] for row in sheets["档案"]] == [world["car"].archive_number]
    assert [(row[0], row[2]) for row in sheets["文件"]] == [
        (world["car"].archive_number, "张三购车合同")
    ]


def test_it_gives_another_department_nothing_of_theirs(dave: Any, world: Any) -> None:
    sheets = export(dave, q="张三")
    assert [row[1] for row in sheets["客户"]] == ["张三丰"]
    assert sheets["档案"] == [] and sheets["文件"] == []
    assert export(dave, q="13800138000") == {"客户": [], "档案": [], "文件": []}
    assert export(dave, q=world["car"].archive_number)["档案"] == []


def test_it_masks_identity_numbers_and_phones_as_the_pages_do(
    carol: Any, alice: Any, world: Any
) -> None:
    row = " ".join(str(v) for v in export(carol, q="张三")["客户"][0])
    assert "110105********002X" in row and "11010519491231002X" not in row
    assert "138****8000" in row and "13800138000" not in row
    role = alice.roles.get()  # roles are data: give the archivist the unmasked view
    role.permissions = sorted({*role.permissions, "customer.view_identity"})
    role.save()
    alice.__dict__.pop("_policy_roles", None)  # the policy caches roles on the instance
    full = " ".join(str(v) for v in export(alice, q="张三")["客户"][0])
    assert "11010519491231002X" in full and "13800138000" in full


def test_it_exports_every_match_not_only_the_first_page(carol: Any, bob: Any) -> None:
    for n in range(25):
        customer_create(actor=bob, kind="individual", name=f"欧阳{n:02d}")
    rebuild_index()
    result = _client(carol).get("/search/", {"q": "欧阳"})
    assert result.content.decode().count("/customers/") >= 20
    assert len(export(carol, q="欧阳")["客户"]) == 25


def test_it_ranks_exact_matches_first(carol: Any, bob: Any, world: Any) -> None:
    customer_create(actor=bob, kind="individual", name="张三顺")
    rebuild_index()
    assert [row[1] for row in export(carol, q="张三")["客户"]] == ["张三", "张三顺"]


def test_it_cuts_each_sheet_with_a_note(carol: Any, bob: Any, monkeypatch: Any) -> None:
    for n in range(3):
        customer_create(actor=bob, kind="individual", name=f"司马{n}")
    rebuild_index()
    monkeypatch.setattr(exports, "SEARCH_MAX_ROWS", 2)
    rows = export(carol, q="司马")["客户"]
    assert len(rows) == 3
    assert rows[-1][0] == "仅导出前 2 条(共 3 条),请补充关键词或使用筛选"
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.detail["rows"] == 2 and entry.detail["matches"] == {"customer": 3}


def test_it_applies_the_filters_of_the_result_page(carol: Any, world: Any) -> None:
    assert export(carol, q="张三", archive_type="RE-SALE")["档案"] == []
    assert len(export(carol, q="张三", archive_type="CAR-SALE")["档案"]) == 1


def test_it_records_the_export_with_its_query(carol: Any, world: Any) -> None:
    export(carol, q="张三", status="filed")
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.actor == carol and entry.object_type == "search"
    assert entry.detail["q"] == "张三"
    assert entry.detail["filters"] == {"status": "filed"}
    assert entry.detail["sheets"] == {"customer": 1, "dossier": 1, "document": 1}
    assert entry.detail["rows"] == 3
    assert "search" not in audit_actions(actor=carol)  # one entry: the export itself


def test_it_refuses_roles_without_the_export_permission(bob: Any, world: Any) -> None:
    response = _client(bob).get("/api/v1/exports/search.xlsx", {"q": "张三"})
    assert response.status_code == 403
    assert audit_actions(action="export") == []


def test_it_asks_for_a_query(carol: Any, world: Any) -> None:
    response = _client(carol).get("/api/v1/exports/search.xlsx", {"q": " "})
    assert response.status_code == 400
    assert "q" in response.json()
    assert audit_actions(action="export") == []


def test_it_links_the_export_from_the_result_page(carol: Any, bob: Any, world: Any) -> None:
    link = "/api/v1/exports/search.xlsx?q="
    assert link in _client(carol).get("/search/", {"q": "张三"}).content.decode()
    assert link not in _client(bob).get("/search/", {"q": "张三"}).content.decode()
    assert link not in _client(carol).get("/search/", {"q": "没有这个人"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_exports_a_search_from_the_command_line(
    tmp_path: Path, alice: Any, bobs_customer: Any, capsys: Any
) -> None:
    rebuild_index()
    target = tmp_path / "s.xlsx"
    argv = ["export", "search", "--q", "张三", "--filter", "date_from=2020-01-01"]
    assert cli_main([*argv, "-o", str(target), "--user", "alice"]) == 0
    assert "已导出 1 行" in capsys.readouterr().out
    assert [row[1] for row in _sheets(target.read_bytes())["客户"]] == ["张三"]
    assert cli_main(["export", "search", "-o", str(target)]) == 2  # no query
    assert cli_main(["export", "search", "--q", "张三", "--filter", "colour=red"]) == 2
