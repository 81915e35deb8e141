"""The pieces that keep a search to a few cheap queries: id lists as one parameter,
document → dossier pairs in one plain query, hit URLs without reverse() per hit, and
exact hits found on the whole table before the policy check."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.urls import reverse

from conftest import grant_in_force
from dangan.core import bulk
from dangan.customers.models import Customer
from dangan.customers.services import customer_create
from dangan.documents.services import document_add
from dangan.search import index, selectors
from dangan.search.models import SearchEntry
from dangan.search.selectors import search
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


def test_an_id_list_is_one_parameter_however_long(alice: Any) -> None:
    made = [customer_create(actor=alice, kind="individual", name=f"客户{i}") for i in range(3)]
    ids = [c.pk for c in made] + list(range(10**9, 10**9 + 40_000))  # past SQLite's limit
    listed = bulk.id_list(ids)
    assert len(listed.params) == 1
    found = set(Customer.objects.filter(pk__in=listed).values_list("pk", flat=True))
    assert found == {c.pk for c in made}
    assert not Customer.objects.filter(pk__in=bulk.id_list([])).exists()


def test_document_dossier_pairs(bob: Any, car_dossier: Any) -> None:
    document = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="付款说明")
    assert index.document_dossiers([document.pk, 10**12]) == [(document.pk, car_dossier.pk)]
    assert index.document_dossiers([]) == []


def test_hit_urls_match_reverse() -> None:
    for pk in (1, 42, 918273645, 10**15):
        assert selectors._url("customers:detail", pk) == reverse("customers:detail", args=[pk])
        assert selectors._url("archives:dossier", pk) == reverse("archives:dossier", args=[pk])


def test_exact_hits_of_others_are_not_counted_for_a_narrow_view(
    alice: Any, bob: Any, dave: Any
) -> None:
    """Exact hits come from the whole table; the policy check still drops other people's,
    from the list and from the count."""
    mine = customer_create(actor=bob, kind="individual", name="王建国")
    customer_create(actor=dave, kind="individual", name="王建国")
    rebuild_index()
    group = next(g for g in search(bob, "王建国").groups if g.kind == "customer")
    assert [h.pk for h in group.hits] == [mine.pk] and group.count == 1
    group = next(g for g in search(alice, "王建国").groups if g.kind == "customer")
    assert group.count == 2


def test_dossiers_above_the_clearance_are_neither_listed_nor_counted_for_customer_service(
    bob: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    """Customer service reaches every customer: its dossier and document candidates are
    checked by clearance through the (confidentiality, id) index (policy.dossiers_hidden)
    instead of the full policy query; what that hides stays hidden, a grant opens it.
    (The archivist's clearance no longer hides anything: the archive room keeps every bag,
    issue 27 §4.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conftest import _user

    alice = _user("frank", "customer_service", "销售二部", "吴刚")  # up to 秘密

    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="购车合同")
    rebuild_index()

    def counts(query: str) -> dict[str, int]:
        return {g.kind: g.count for g in search(alice, query).groups}

    assert counts("购车合同")["document"] == 1
    assert counts(car_dossier.archive_number)["dossier"] == 1
    car_dossier.confidentiality = "top_secret"
    car_dossier.save()
    with CaptureQueriesContext(connection) as queries:
        result = search(alice, "购车合同")
    assert {g.kind: g.count for g in result.groups}["document"] == 0
    # The clearance probe asked for the levels above hers, which dossiers_for never does.
    assert any("'top_secret'" in q["sql"] for q in queries.captured_queries)
    dossiers = next(
        g for g in search(alice, car_dossier.archive_number).groups if g.kind == "dossier"
    )
    assert dossiers.count == 0 and dossiers.hits == []
    grant_in_force(alice, car_dossier)
    dossiers = next(
        g for g in search(alice, car_dossier.archive_number).groups if g.kind == "dossier"
    )
    assert [h.pk for h in dossiers.hits] == [car_dossier.pk] and dossiers.count == 1


def test_the_policy_querysets_are_built_only_when_asked(
    alice: Any, bob: Any, bobs_customer: Any, car_dossier: Any, monkeypatch: Any
) -> None:
    """The archivist's candidates are checked without the policy queries (see
    Matches.hidden): her search neither runs nor builds them, and reads the rows shown
    from their tables. An account manager's search needs them, and runs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="张三购车合同")
    rebuild_index()
    built: list[str] = []
    original = selectors.policy.dossiers_for

    def counting(actor: Any, **options: Any) -> Any:
        built.append(actor.username)
        return original(actor, **options)

    monkeypatch.setattr(selectors.policy, "dossiers_for", counting)
    for actor in (alice, bob):
        with CaptureQueriesContext(connection) as queries:
            counts = {g.kind: g.count for g in search(actor, "张三").groups}
        assert counts == {"customer": 1, "dossier": 1, "document": 1}, actor
        grants = [q for q in queries.captured_queries if "accounts_grant" in q["sql"]]
        assert bool(grants) == (actor is bob), actor
    assert "alice" not in built and "bob" in built


def test_the_exact_hits_of_every_kind_are_looked_up_in_one_statement(
    alice: Any, bob: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    """Exact name, number and archive-number hits (ranked first) come from one UNION of
    indexed lookups for customers and dossiers, not a round trip each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rebuild_index()
    for query in (bobs_customer.name, bobs_customer.mobile, car_dossier.archive_number):
        with CaptureQueriesContext(connection) as queries:
            result = search(alice, query)
        lookups = [q["sql"] for q in queries.captured_queries if "ORDER BY id DESC" in q["sql"]]
        assert len(lookups) == 1, (query, lookups)
        first = {g.kind: g.hits[0].pk for g in result.groups if g.hits}
        if query == car_dossier.archive_number:
            assert first["dossier"] == car_dossier.pk
        else:
            assert first["customer"] == bobs_customer.pk, query
        if query == bobs_customer.name:  # the customer's dossiers rank first too
            assert first["dossier"] == car_dossier.pk


def test_rows_read_with_the_sql_compiled_once_equal_the_orms(
    bob: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    """_table_rows runs the ORM's SQL compiled once per kind (_table_rows_sql), and _rows
    the policy queryset's compiled at its first call (_ids_query): the same rows as the
    queryset, JSON fields decoded, absent ids left out, at the first call and the next."""
    from django.db.models import Q

    from dangan.archives.models import Dossier
    from dangan.documents.models import Document
    from dangan.search.candidates import Matches

    document = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="合同")
    assert car_dossier.fields  # the VIN and plate of a car dossier
    for kind, model, pk in (
        ("customer", Customer, bobs_customer.pk),
        ("dossier", Dossier, car_dossier.pk),
        ("document", Document, document.pk),
    ):
        ids = [pk, 10**12]
        matches = Matches(kind, kind, model.objects.all(), Q(), Q())
        expected = selectors._rows(matches, ids)
        assert selectors._table_rows(kind, ids) == expected and list(expected) == [pk]
        assert selectors._rows(matches, [10**12, pk]) == expected  # the SQL compiled above
        assert selectors._rows(matches, [10**12]) == {}
    row = selectors._table_rows("dossier", [car_dossier.pk])[car_dossier.pk]
    assert row.fields == car_dossier.fields and row.customer_name == bobs_customer.name
    assert selectors._table_rows("customer", []) == {}


def test_hit_items_keep_the_marks_and_escape_the_rest() -> None:
    from dangan.search.templatetags.search_tags import hit_items

    hit = selectors.Hit(
        kind="customer",
        pk=1,
        title=selectors.highlight("<b>张伟</b>", ["张伟"]),
        subtitle=selectors.highlight("个人 · 138", []),
        url="/customers/1/",
        score=900,
        reasons=["姓名", "<script>"],
    )
    html = str(hit_items([hit, dataclasses.replace(hit, reasons=[])]))
    assert html.count("<li>") == 2
    assert '<a href="/customers/1/">&lt;b&gt;<mark>张伟</mark>&lt;/b&gt;</a>' in html
    assert '<span class="tag">姓名、&lt;script&gt;</span>' in html
    assert "<script>" not in html
    # A title or subtitle not marked safe, and the URL, are escaped too.
    plain = dataclasses.replace(hit, title="<i>x</i>", subtitle="a&b", url='/c/?q="1"')
    html = str(hit_items([plain]))
    assert '<a href="/c/?q=&quot;1&quot;">&lt;i&gt;x&lt;/i&gt;</a>' in html
    assert '<span class="sub">a&amp;b</span>' in html


def test_postgres_planner_settings_do_not_outlive_the_lookup(alice: Any) -> None:
    """PostgreSQL: candidates() plans its query as a GIN bitmap scan; inside a caller's
    transaction (as here: the test's) the settings are put back at once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    made = customer_create(actor=alice, kind="individual", name="张三丰")
    rebuild_index()

    def settings() -> tuple[Any, ...]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
                "current_setting('gin_fuzzy_search_limit')"
            )
            return tuple(cursor.fetchone())

    before = settings()
    assert index.candidates("customer", index.Terms(names=["张三"]), 10) == [made.pk]
    assert settings() == before == ("on", "on", "0")


def test_candidates_of_all_kinds_at_once_match_one_by_one(bob: Any, car_dossier: Any) -> None:
    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="张三的付款说明")
    rebuild_index()
    for text in ("张三", "付款", "zs", "没有这个词"):
        terms = selectors.parse(text, names_only=False).terms
        kinds = ["customer", "dossier", "document"]
        together = index.candidates_many(kinds, terms, 10)
        assert together == {kind: index.candidates(kind, terms, 10) for kind in kinds}
    terms = selectors.parse("付款", names_only=False).terms
    assert index.candidates_many(["document"], terms, 10)["document"] != []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_all_kinds_come_in_one_query_and_the_settings_end_with_it(
    bob: Any, car_dossier: Any
) -> None:
    """Autocommit (as a request runs): PostgreSQL gets the planner settings and the three
    kinds' queries as one string, run as one transaction; the answer is the one a
    transaction of several statements gives."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="张三的付款说明")
    rebuild_index()
    kinds = ["customer", "dossier", "document"]
    for text in ("张三", "付款", "zs", "没有这个词"):
        terms = selectors.parse(text, names_only=False).terms
        with CaptureQueriesContext(connection) as queries:
            alone = index.candidates_many(kinds, terms, 10)
        with transaction.atomic():
            inside = index.candidates_many(kinds, terms, 10)
        assert alone == inside
        assert len(queries) <= len(kinds)  # SQLite: one per kind; PostgreSQL: one
        if connection.vendor == "postgresql" and text != "没有这个词":
            assert len(queries) == 1
    assert index.candidates_many(kinds, selectors.parse("付款", names_only=False).terms, 10)[
        "document"
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan')")
            assert cursor.fetchone()[0] == "on"


def test_postgres_queries_weigh_the_parts_only_where_an_entry_has_several() -> None:
    """A document's entry holds words only: its query carries no weight, which would make
    PostgreSQL read every candidate's (long, TOASTed) tsvector again to check it."""
    terms = index.Terms(names=["王伟"], ids=[("1203", True), ("8000", False)], words=["合同"])
    assert index._tsquery(terms, "document") == "(合同)"
    assert index._tsquery(index.Terms(names=["王伟"]), "document") == ""  # no names there
    assert index._tsquery(index.Terms(ids=[("1203", True)]), None) == "1203:*B"
    assert index._tsquery(terms, "customer") == "王伟:*A | 1203:*B | 8000:B"
    assert index._tsquery(terms, "dossier") == "王伟:*A | 1203:*B | 8000:B | (合同:C)"


def test_postgres_and_of_common_words_finds_their_whole_intersection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sampled GIN scan (index.GIN_SAMPLE) keeps each word's matches at random, so an
    AND of words that are each very common kept only part of their intersection. Here
    the sample is 10 and each word is in 60 entries, 20 of them shared: sampled, two to
    four of the 20 came back; they are all found. (3,000 entries, in the index proper
    and analysed, so that the planner takes the GIN index as it does at scale.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's FTS5 does not sample")
    monkeypatch.setattr(index, "GIN_SAMPLE", 10)
    rows = {}
    for pk in range(1, 3001):
        words = "甲词" if pk <= 40 else "乙词" if pk <= 80 else "甲词 乙词" if pk <= 100 else "丙词"
        rows[pk] = {"names": "", "ids": "", "text": words}
        rows[pk].update(owner=None, department=None, dossier=None)
    index.write_many(SearchEntry.Kind.DOCUMENT, rows)
    with connection.cursor() as cursor:  # from the pending list into the index proper
        cursor.execute("SELECT gin_clean_pending_list('search_entry_tsv_document')")
        cursor.execute("ANALYZE search_searchentry")
    both = index.candidates(SearchEntry.Kind.DOCUMENT, index.Terms(words=["甲词", "乙词"]), 250)
    assert both == list(range(100, 80, -1))
    one = index.candidates(SearchEntry.Kind.DOCUMENT, index.Terms(words=["甲词"]), 250)
    assert 0 < len(one) <= 60  # a single word is still sampled
