"""The one search box (issue 6 §1–2): every query kind, ranking, scope, audit, bad input,
and keeping the index current. Runs on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from conftest import audit_actions, car_fields
from dangan.archives.services import dossier_create
from dangan.cli import main as cli_main
from dangan.customers.services import customer_create
from dangan.documents.services import document_add
from dangan.search.models import SearchEntry
from dangan.search.selectors import highlight, search
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def first(user: Any, q: str, kind: str, **filters: Any) -> str:
    """The plain text of the first hit of `kind`, or "" when there is none."""
    result = search(user, q, filters)
    for group in result.groups:
        if group.kind == kind and group.hits:
            return str(group.hits[0].title).replace("<mark>", "").replace("</mark>", "")
    return ""


def count(user: Any, q: str, kind: str) -> int:
    return sum(g.count for g in search(user, q).groups if g.kind == kind)


@pytest.fixture
def world(templates: Any, bob: Any, bobs_customer: Any, car_dossier: Any) -> dict[str, Any]:
    wang = customer_create(actor=bob, kind="individual", name="王建国", mobile="13912345678")
    zw = customer_create(actor=bob, kind="individual", name="张伟", mobile="13700001111")
    zwh = customer_create(actor=bob, kind="individual", name="张伟华", mobile="13700002222")
    house = dossier_create(
        actor=bob,
        customer=wang,
        archive_type=templates["RE-SALE"],
        fields={"building": "3", "unit": "1203", "payment": "按揭", "contract_date": "2026-10-01"},
    )
    hotel = dossier_create(
        actor=bob,
        customer=zw,
        archive_type=templates["HOTEL-GUEST"],
        fields={"guest_kind": "会员", "member_no": "VIP20260042"},
    )
    contract = document_add(actor=bob, dossier=house, checklist_item=None, title="商品房买卖合同")
    rebuild_index()
    return {
        "wang": wang,
        "zw": zw,
        "zwh": zwh,
        "house": house,
        "hotel": hotel,
        "car": car_dossier,
        "contract": contract,
    }


def test_it_finds_a_customer_by_whole_name_part_and_surname(bob: Any, world: Any) -> None:
    assert first(bob, "王建国", "customer") == "王建国"
    assert first(bob, "建国", "customer") == "王建国"
    assert first(bob, "王", "customer") == "王建国"
    assert first(bob, "张三", "customer") == "张三"


def test_it_finds_by_pinyin_initials(bob: Any, world: Any) -> None:
    assert first(bob, "zs", "customer") == "张三"
    assert first(bob, "wjg", "customer") == "王建国"
    assert first(bob, "WJG", "customer") == "王建国"


def test_the_reasons_are_in_the_language_of_each_search(bob: Any, world: Any) -> None:
    def reasons() -> list[str]:
        group = next(g for g in search(bob, "wjg").groups if g.kind == "customer")
        return group.hits[0].reasons

    assert reasons() == ["拼音首字母"]
    with translation.override("en"):
        assert reasons() == ["Pinyin initials"]
    assert reasons() == ["拼音首字母"]


def test_it_ranks_an_exact_name_above_a_longer_one(bob: Any, world: Any) -> None:
    result = search(bob, "张伟")
    group = next(g for g in result.groups if g.kind == "customer")
    names = [str(h.title).replace("<mark>", "").replace("</mark>", "") for h in group.hits]
    assert names[:2] == ["张伟", "张伟华"]


def test_it_finds_by_any_four_phone_digits(bob: Any, world: Any) -> None:
    assert first(bob, "0013", "customer") == "张三"
    assert first(bob, "138001", "customer") == "张三"
    assert first(bob, "13800138000", "customer") == "张三"


def test_it_matches_full_width_digits_as_ascii(bob: Any, world: Any) -> None:
    assert first(bob, "１３８００１３８０００", "customer") == "张三"


def test_it_finds_by_id_number_whole_and_tail(bob: Any, world: Any) -> None:
    assert first(bob, "11010519491231002X", "customer") == "张三"
    assert first(bob, "002x", "customer") == "张三"
    assert first(bob, "1002x", "customer") == "张三"
    assert first(bob, "31002X", "customer") == "张三"
    assert count(bob, "21002X", "customer") == 0


def test_it_finds_a_dossier_by_archive_number(bob: Any, world: Any) -> None:
    number = world["house"].archive_number
    assert first(bob, number, "dossier").startswith(number)
    assert first(bob, number.lower(), "dossier").startswith(number)


def test_it_finds_a_dossier_by_unit(bob: Any, world: Any) -> None:
    number = world["house"].archive_number
    assert first(bob, "3-1203", "dossier").startswith(number)
    assert first(bob, "3栋1203", "dossier").startswith(number)


def test_it_finds_a_dossier_by_vin_and_its_last_six(bob: Any, world: Any) -> None:
    number = world["car"].archive_number
    assert first(bob, car_fields()["vin"], "dossier").startswith(number)
    assert first(bob, "042788", "dossier").startswith(number)


def test_it_finds_a_dossier_by_member_number(bob: Any, world: Any) -> None:
    assert first(bob, "VIP20260042", "dossier").startswith(world["hotel"].archive_number)


def test_it_finds_a_word_inside_a_document_title(bob: Any, world: Any) -> None:
    assert first(bob, "合同", "document") == "商品房买卖合同"
    assert first(bob, "买卖合同", "document") == "商品房买卖合同"


def test_it_finds_words_in_document_text(bob: Any, world: Any) -> None:
    doc = world["contract"]
    doc.text = "甲方同意按揭贷款,乙方负责办理产权登记。"
    doc.save(update_fields=["text"])
    rebuild_index()
    assert first(bob, "产权登记", "document") == "商品房买卖合同"


def test_it_highlights_after_escaping() -> None:
    assert str(highlight("<b>张三</b>", ["张三"])) == "&lt;b&gt;<mark>张三</mark>&lt;/b&gt;"
    assert str(highlight("A&B 'x'", ["b"])) == "A&amp;<mark>B</mark> &#x27;x&#x27;"
    assert str(highlight('"<x>"', [])) == "&quot;&lt;x&gt;&quot;"


@given(
    text=st.text(alphabet="张三ab<>&\"' 1", max_size=20),
    needles=st.lists(st.text(alphabet="张三ab<&1", max_size=3), max_size=3),
)
def test_highlight_only_adds_marks_to_the_escaped_text(text: str, needles: list[str]) -> None:
    marked = str(highlight(text, needles))
    assert marked.replace("<mark>", "").replace("</mark>", "") == str(escape(text))
    assert marked.count("<mark>") == marked.count("</mark>")


def test_it_filters_by_archive_type(bob: Any, world: Any) -> None:
    assert first(bob, "王建国", "dossier", archive_type="CAR-SALE") == ""
    assert first(bob, "王建国", "dossier", archive_type="RE-SALE") != ""


def test_it_hides_and_does_not_count_other_departments_records(
    bob: Any, dave: Any, world: Any
) -> None:
    assert first(dave, "张三", "customer") == ""
    assert count(dave, "张三", "customer") == 0
    assert count(dave, "0013", "customer") == 0
    assert count(dave, "3-1203", "dossier") == 0
    assert count(dave, "合同", "document") == 0
    body = api(dave).get("/api/v1/search/", {"q": "张三"}).json()
    # Only the dossiers an exact name names, as discoverable: number, type, department.
    assert {g["kind"] for g in body["groups"] if g["count"]} <= {"discoverable"}
    assert "张三" not in str(body["groups"])


def test_it_matches_names_only_for_business_staff(eve: Any, world: Any) -> None:
    assert first(eve, "张三", "customer") == "张三"
    assert count(eve, "0013", "customer") == 0
    assert count(eve, "002X", "customer") == 0
    body = api(eve).get("/api/v1/search/", {"q": "张三"}).json()
    assert "138" not in str(body)


def test_it_records_every_search_in_the_audit_trail(bob: Any, world: Any) -> None:
    before = audit_actions().count("search")
    assert api(bob).get("/api/v1/search/", {"q": "张三"}).status_code == 200
    assert bob.is_authenticated
    assert api(bob).get("/search/", {"q": "0013"}).status_code in (200, 302)
    assert audit_actions().count("search") >= before + 1
    # The query, trimmed, and the filters used (audit_search, as the customer list's).
    assert api(bob).get("/api/v1/search/", {"q": " 张三 ", "status": "filed"}).status_code == 200
    from dangan.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(action="search").order_by("-seq").first()
    assert entry is not None and entry.actor_id == bob.pk
    assert entry.detail == {"q": "张三", "filters": {"status": "filed"}}


def test_it_shows_the_page_with_highlights(bob: Any, world: Any, client: Any) -> None:
    client.force_login(bob)
    response = client.get("/search/", {"q": "张三"})
    assert response.status_code == 200
    assert "<mark>张三</mark>" in response.content.decode()
    assert audit_actions().count("search") == 1


def test_the_page_keeps_the_chosen_filters_selected(bob: Any, world: Any, client: Any) -> None:
    from dangan.search.selectors import filter_choices

    choices = filter_choices(bob)
    code, _name = choices["archive_type"][0]
    owner, _label = choices["owner"][0]
    assert choices["owner"] == [(bob.pk, str(bob))]  # own scope: only himself, by full name
    client.force_login(bob)
    page = client.get(
        "/search/", {"q": "张三", "archive_type": code, "owner": owner, "status": "on_loan"}
    ).content.decode()
    assert f'<option value="{code}" selected>' in page
    assert f'<option value="{owner}" selected>' in page
    assert '<option value="on_loan" selected>' in page
    form = page.split('role="search">', 2)[2].split("</form>", 1)[0]  # the filters' form
    assert form.count(" selected>") == 3


def test_the_page_filters_by_department_for_those_who_see_every_department(
    alice: Any, bob: Any, dave: Any, world: Any, client: Any
) -> None:
    """The archivist sees every customer: the page offers the departments, keeps the one
    chosen selected, and shows only its customers. An account manager sees his own at
    most, so no department is offered to him."""
    daves = customer_create(actor=dave, kind="individual", name="张伟强")
    rebuild_index()
    client.force_login(alice)
    page = client.get("/search/").content.decode()
    assert 'id="search-department"' in page
    assert f'<option value="{bob.department_id}">销售一部</option>' in page
    chosen = client.get("/search/", {"q": "张伟", "department": dave.department_id})
    page = chosen.content.decode()
    assert f'<option value="{dave.department_id}" selected>销售二部</option>' in page
    assert f'href="/customers/{daves.pk}/"' in page
    assert f'href="/customers/{world["zw"].pk}/"' not in page  # 张伟 is bob's, of 销售一部
    client.force_login(bob)
    assert 'id="search-department"' not in client.get("/search/").content.decode()


def test_the_page_ignores_owner_and_department_that_are_not_ids(
    bob: Any, world: Any, client: Any
) -> None:
    client.force_login(bob)
    plain = client.get("/search/", {"q": "张三"}).content.decode()
    junk = client.get("/search/", {"q": "张三", "owner": "abc", "department": "-1"})
    assert junk.status_code == 200
    assert "<mark>张三</mark>" in junk.content.decode()
    assert plain.count("<li>") == junk.content.decode().count("<li>")


def test_select_options_escape_and_compare_as_text() -> None:
    from dangan.core.templatetags.forms_tags import select_options

    html = select_options([(1, "<b>王</b>"), ("2", "李")], "1")
    assert html == (
        '<option value="1" selected>&lt;b&gt;王&lt;/b&gt;</option><option value="2">李</option>'
    )
    assert " selected" not in select_options([(1, "a")], None)


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "a",
        "1",
        "x" * 10_000,
        '"*^:()-',
        '张"三*',
        "NEAR(a b)",
        "a OR b AND NOT c",
        "'; DROP TABLE search_searchentry; --",
        "1' OR '1'='1",
        "张 三",
        "!!!!",
        "：（）",
    ],
)
def test_it_never_fails_on_bad_input(bob: Any, world: Any, client: Any, q: str) -> None:
    assert api(bob).get("/api/v1/search/", {"q": q}).status_code == 200
    client.force_login(bob)
    assert client.get("/search/", {"q": q}).status_code == 200


def test_it_asks_for_two_characters(bob: Any, world: Any) -> None:
    assert search(bob, "a").error == "请至少输入2个字符"
    assert search(bob, "  ").error
    assert not search(bob, "王").error  # a surname alone is a real query


def test_it_indexes_after_commit(bob: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        customer_create(actor=bob, kind="individual", name="欧阳娜娜", mobile="13598765432")
    assert first(bob, "欧阳", "customer") == "欧阳娜娜"
    assert first(bob, "oynn", "customer") == "欧阳娜娜"


def test_it_rebuilds_with_the_command(bob: Any, world: Any) -> None:
    SearchEntry.objects.all().delete()
    assert cli_main(["search", "rebuild"]) == 0
    assert SearchEntry.objects.filter(kind="customer").count() == 4
    assert first(bob, "wjg", "customer") == "王建国"


def test_it_finds_the_text_layer_of_an_uploaded_pdf(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        document = document_add(
            actor=bob,
            dossier=car_dossier,
            checklist_item=None,
            title="购车发票",
            file_name="scan.pdf",
            file_chunks=[pdf_bytes],
        )
    assert "Dangan test scan" in document.text
    assert first(bob, "scan", "document") == "购车发票"
