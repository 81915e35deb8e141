"""The auditor's page: filters, Excel export, on-demand chain check; nobody else gets in."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import audit_actions
from dangan.accounts.models import User
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def record_at(when: dt.datetime, **kwargs: Any) -> AuditEntry:
    # timezone.now() is UTC, and the entry hash covers at.isoformat(): stay in UTC.
    with mock.patch("django.utils.timezone.now", return_value=when.astimezone(dt.UTC)):
        audit_record(**kwargs)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    return entry


@pytest.fixture
def trail(alice: User, bob: User) -> dict[str, AuditEntry]:
    """A few entries on both sides of midnight, Beijing time (UTC+8)."""
    return {
        "early": record_at(
            dt.datetime(2026, 2, 28, 9, 0, tzinfo=SHANGHAI),
            actor=alice,
            action="view",
            object_type="dossier",
            object_id="7",
            object_repr="CAR-2026-0007 张三",
        ),
        "late": record_at(
            # 23:30 in Beijing is still 1 March there, but 15:30 UTC.
            dt.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI),
            actor=bob,
            action="download",
            object_type="attachment",
            object_id="3",
            object_repr="购车发票.pdf",
        ),
        "next_day": record_at(
            # 00:10 on 2 March in Beijing, which is still 1 March in UTC.
            dt.datetime(2026, 3, 2, 0, 10, tzinfo=SHANGHAI),
            actor=bob,
            action="access",
            object_type="url",
            object_repr="/customers/99/",
            outcome=AuditEntry.Outcome.DENIED,
        ),
    }


def seqs(response: Any) -> list[int]:
    return [row["entry"].seq for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/audit/"), ("get", "/audit/export.xlsx"), ("post", "/audit/verify/")],
)
def test_it_refuses_the_trail_to_everyone_but_the_auditor(
    method: str, url: str, bob: User, alice: User, sam: User
) -> None:
    for user in (bob, alice, sam):
        response = getattr(as_user(user), method)(url)
        assert response.status_code == 403
    assert audit_actions(action__in=["export", "verify"]) == []
    assert audit_actions(actor_name="sam", outcome="denied") == ["access"]


def test_it_sends_anonymous_visitors_to_the_login(client: Client) -> None:
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_it_lists_newest_first(ada: User, trail: dict[str, AuditEntry]) -> None:
    response = as_user(ada).get("/audit/")
    assert response.status_code == 200
    shown = seqs(response)
    assert shown == sorted(shown, reverse=True)
    assert trail["late"].seq in shown
    html = response.content.decode()
    assert "审计日志" in html
    assert "下载" in html  # the action's Chinese name
    assert "校验哈希链" in html


def test_it_paginates_by_fifty(ada: User) -> None:
    for i in range(60):
        audit_record(actor=ada, action="view", object_type="dossier", object_id=str(i))
    response = as_user(ada).get("/audit/")
    assert len(response.context["rows"]) == 50
    second = as_user(ada).get("/audit/", {"page": 2})
    assert len(second.context["rows"]) == second.context["page"].paginator.count - 50


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "alice"}, ["early"]),
        ({"action": "download"}, ["late"]),
        ({"object_type": "dossier"}, ["early"]),
        ({"object_type": "attachment", "object_id": "3"}, ["late"]),
        ({"outcome": "denied"}, ["next_day"]),
        ({"q": "发票"}, ["late"]),
        ({"from": "2026-03-01", "to": "2026-03-01"}, ["late"]),
        ({"from": "2026-03-02"}, ["next_day"]),
        ({"to": "2026-02-28"}, ["early"]),
    ],
)
def test_it_filters_the_trail(
    ada: User, trail: dict[str, AuditEntry], params: dict[str, str], expected: list[str]
) -> None:
    response = as_user(ada).get("/audit/", params)
    shown = set(seqs(response))
    wanted = {trail[name].seq for name in expected}
    assert wanted <= shown
    assert not ({e.seq for e in trail.values()} - wanted) & shown


def test_it_offers_the_actions_present_as_choices(ada: User, trail: dict[str, AuditEntry]) -> None:
    html = as_user(ada).get("/audit/").content.decode()
    assert 'value="download"' in html
    assert 'value="attachment"' in html


def test_it_shows_bad_dates_in_place_and_filters_nothing(ada: User) -> None:
    response = as_user(ada).get("/audit/", {"from": "2026-13-45"})
    assert response.status_code == 200
    assert response.context["form"].errors["from"]
    response = as_user(ada).get("/audit/", {"from": "2026-03-02", "to": "2026-03-01"})
    assert response.context["form"].errors["to"]


def test_it_escapes_object_names_and_details(ada: User, bob: User) -> None:
    audit_record(
        actor=bob,
        action="change",
        object_repr="<script>alert(1)</script>",
        detail={"name": "<img src=x onerror=alert(2)>"},
    )
    html = as_user(ada).get("/audit/").content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html


def _sheet(response: Any) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["审计日志"]
    return [[cell.value for cell in row] for row in workbook["审计日志"].iter_rows()]


def test_it_exports_the_filtered_trail_to_excel(ada: User, trail: dict[str, AuditEntry]) -> None:
    response = as_user(ada).get("/audit/export.xlsx", {"actor": "bob"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet(response)
    assert rows[0][:6] == ["序号", "时间", "用户", "角色", "IP 地址", "操作"]
    assert "结果" in rows[0]
    assert [r[0] for r in rows[1:]] == [trail["next_day"].seq, trail["late"].seq]
    assert rows[2][1] == "2026-03-01 23:30:00"  # server time zone, as on the page
    assert rows[2][5] == "下载"
    assert audit_actions(actor_name="ada", action="export") == ["export"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.detail == {"filters": {"actor": "bob"}, "rows": 2}
    assert entry.object_type == "audit"


def test_it_exports_formula_like_text_as_text(ada: User, bob: User) -> None:
    audit_record(actor=bob, action="search", object_repr='=HYPERLINK("http://x")')
    rows = _sheet(as_user(ada).get("/audit/export.xlsx", {"action": "search"}))
    assert rows[1][9] == '=HYPERLINK("http://x")'


def test_it_refuses_export_without_the_export_permission(ada: User) -> None:
    from dangan.accounts.models import Role

    role = Role.objects.get(code="auditor")
    role.permissions = ["audit.view"]
    role.save()
    ada = User.objects.get(pk=ada.pk)
    assert as_user(ada).get("/audit/export.xlsx").status_code == 403
    assert audit_actions(action="export") == []
    html = as_user(ada).get("/audit/").content.decode()
    assert "导出 Excel" not in html


def test_it_checks_the_chain_on_demand(ada: User, trail: dict[str, AuditEntry]) -> None:
    response = as_user(ada).post("/audit/verify/", follow=True)
    assert "哈希链完整" in response.content.decode()
    entry = AuditEntry.objects.get(action="verify")
    assert entry.outcome == "success"
    assert entry.actor_name == "ada"
    assert "完整" in response.content.decode()


def test_it_names_the_first_bad_entry(ada: User, trail: dict[str, AuditEntry]) -> None:
    AuditEntry.objects.filter(pk=trail["late"].pk).update(object_repr="改过了")
    response = as_user(ada).post("/audit/verify/", follow=True)
    html = response.content.decode()
    assert f"第 {trail['late'].seq} 条处断开" in html
    assert "记录内容被修改" in html
    assert audit_actions(action="verify", outcome="failed") == ["verify"]


def test_it_does_not_verify_on_a_get(ada: User) -> None:
    assert as_user(ada).get("/audit/verify/").status_code == 405
    assert audit_actions(action="verify") == []
