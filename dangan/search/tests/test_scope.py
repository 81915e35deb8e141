"""Whose record each entry is (SearchEntry.owner_id, department_id, dossier_id): written
with the entry, kept current by the database when a customer changes hands, and used to
ask the index for an account manager's own records when the newest of everyone's held
too few of them (index.Scope). The policy layer still checks every candidate: the scope
only decides which ones are read."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import grant_in_force
from dangan.archives.services import dossier_create
from dangan.customers.models import Customer
from dangan.customers.services import customer_create, customer_update
from dangan.documents.services import document_add
from dangan.handover.services import handover_departure
from dangan.search import index, selectors, services
from dangan.search.models import SearchEntry
from dangan.search.selectors import search
from dangan.search.services import rebuild_index

pytestmark = pytest.mark.django_db


def _group(result: Any, kind: str) -> Any:
    return next(g for g in result.groups if g.kind == kind)


def _scopes(customer: Customer) -> dict[str, set[tuple[Any, ...]]]:
    """(owner, department, dossier) of the entries of a customer, its dossiers and their
    documents, by kind."""
    dossiers = list(customer.dossiers.values_list("pk", flat=True))
    documents = list(
        customer.dossiers.values_list("documents__pk", flat=True).exclude(documents__pk=None)
    )
    entries = {
        "customer": SearchEntry.objects.filter(kind="customer", object_id=customer.pk),
        "dossier": SearchEntry.objects.filter(kind="dossier", object_id__in=dossiers),
        "document": SearchEntry.objects.filter(kind="document", object_id__in=documents),
    }
    return {
        kind: set(rows.values_list("owner_id", "department_id", "dossier_id"))
        for kind, rows in entries.items()
    }


def test_entries_say_whose_record_they_are(bob: Any, bobs_customer: Any, car_dossier: Any) -> None:
    document = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="委托书")
    rebuild_index()
    mine = (bob.pk, bob.department_id)
    assert _scopes(bobs_customer) == {
        "customer": {(*mine, None)},
        "dossier": {(*mine, car_dossier.pk)},
        "document": {(*mine, car_dossier.pk)},
    }
    assert document.dossier_id == car_dossier.pk


def test_entries_follow_a_customer_to_a_new_owner_whatever_makes_the_change(
    alice: Any, bob: Any, carol: Any, dave: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    """The database keeps them current (migration 0003's trigger), in the transaction of
    the change: an edit by the archivist, and a departure, which saves the customers
    without asking the index to follow."""
    document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="委托书")
    rebuild_index()

    customer_update(actor=alice, customer=bobs_customer, changes={"owner": dave}, reason="客户移交")
    bobs_customer.refresh_from_db()
    daves = (dave.pk, bobs_customer.department_id)
    assert daves[1] == dave.department_id != bob.department_id
    assert _scopes(bobs_customer) == {
        "customer": {(*daves, None)},
        "dossier": {(*daves, car_dossier.pk)},
        "document": {(*daves, car_dossier.pk)},
    }
    assert _group(search(dave, "委托书"), "document").count == 1
    assert _group(search(bob, "委托书"), "document").count == 0

    handover_departure(actor=alice, from_user=dave, to_user=bob)
    bobs_customer.refresh_from_db()
    assert bobs_customer.owner == bob
    assert {row[0] for rows in _scopes(bobs_customer).values() for row in rows} == {bob.pk}
    assert _group(search(bob, "委托书"), "document").count == 1


def _bobs_between(monkeypatch: Any, other: Any, bob: Any, older: str, newer: str) -> list[Customer]:
    """Three of bob's 王芳 between `other`'s (王芳 and each character of `older`, then of
    `newer`); the index hands over four at a time (SQLite the newest, PostgreSQL the first
    in table order), and a narrow view reads no further down than that."""
    monkeypatch.setattr(selectors, "CAP", 4)
    monkeypatch.setattr(selectors, "NARROW_DEPTH", 1)

    def others(names: str) -> None:
        for n in names:
            customer_create(actor=other, kind="individual", name=f"王芳{n}")

    others(older)
    bobs = [customer_create(actor=bob, kind="individual", name=f"王芳{n}") for n in "一二三"]
    others(newer)
    return bobs


@pytest.fixture
def crowd(alice: Any, bob: Any, monkeypatch: Any) -> list[Customer]:
    """Three of bob's 王芳 between ten of the archivist's, five older and five newer."""
    own = _bobs_between(monkeypatch, alice, bob, "甲乙丙丁戊", "己庚辛壬癸")
    rebuild_index()
    return own


def test_an_account_manager_reads_further_down_through_their_own_records(
    bob: Any, crowd: list[Customer]
) -> None:
    """The first four the index hands over are the archivist's; reading further down
    through everyone's (as before) found more of the archivist's, and bob none of his
    own, counted as none."""
    customers = _group(search(bob, "王芳"), "customer")
    assert sorted(h.pk for h in customers.hits) == sorted(c.pk for c in crowd)
    assert customers.count == 3 and customers.more is False


@pytest.mark.parametrize("by", ["owner", "department"])
def test_a_search_filtered_by_owner_or_department_reads_further_down_through_theirs(
    alice: Any, bob: Any, crowd: list[Customer], by: str
) -> None:
    """The archivist sees everyone's, but filtered by bob (or his department) the four
    the index hands over first are her own; reading further down through everyone's
    found more of hers. Through the filter's entries it finds bob's three."""
    value = bob.pk if by == "owner" else bob.department_id
    customers = _group(search(alice, "王芳", {by: value}), "customer")
    assert sorted(h.pk for h in customers.hits) == sorted(c.pk for c in crowd)
    assert customers.count == 3 and customers.more is False


def test_a_filter_narrows_the_actors_own_scope_and_never_widens_it(
    bob: Any, carol: Any, dave: Any, monkeypatch: Any
) -> None:
    """carol sees her department's customers: bob's three 王芳 between four older and four
    newer of her own. Filtered by bob, reading through her scope alone (SQLite: the
    newest four, PostgreSQL: the first four) found only her own; through her scope and
    the filter, bob's three. Filtered by dave, of another department, nothing, though
    the filter's entries alone hold his."""
    bobs = _bobs_between(monkeypatch, carol, bob, "甲乙丙丁", "戊己庚辛")
    customer_create(actor=dave, kind="individual", name="王芳子")
    rebuild_index()
    found = _group(search(carol, "王芳", {"owner": bob.pk}), "customer")
    assert sorted(h.pk for h in found.hits) == sorted(c.pk for c in bobs)
    assert found.count == 3 and found.more is False
    assert _group(search(dave, "王芳子"), "customer").count == 1
    assert _group(search(carol, "王芳", {"owner": dave.pk}), "customer").count == 0


def test_the_policy_checks_only_the_candidates_the_scope_admits(
    bob: Any, crowd: list[Customer], monkeypatch: Any
) -> None:
    """On PostgreSQL a candidate comes with whose record its entry says it is: of the
    archivist's four that the index hands over first, none goes to the policy check of
    bob's search (SQLite's candidates come without: all are checked, as before)."""
    from django.db import connection

    checked: list[int] = []
    check = selectors._visible_rows

    def spy(matches: Any, ids: list[int]) -> Any:
        checked.extend(ids)
        return check(matches, ids)

    monkeypatch.setattr(selectors, "_visible_rows", spy)
    customers = _group(search(bob, "王芳"), "customer")
    assert sorted(h.pk for h in customers.hits) == sorted(c.pk for c in crowd)
    others = set(Customer.objects.exclude(owner=bob).values_list("pk", flat=True))
    assert len(others) == 10
    if connection.vendor == "postgresql":
        assert not others & set(checked)
    else:
        assert others & set(checked)


_WHOSE = [(o, d, s) for o in (None, 1, 2) for d in (None, 10, 11) for s in (None, 100, 101)]
_SCOPES = [
    index.Scope(owners, departments, dossiers, owner=owner, department=department)
    for owners in (None, [], [1])
    for departments in ([], [10])
    for dossiers in (None, frozenset(), frozenset({100}))
    for owner in (None, 1, 2)
    for department in (None, 10)
    if owners is not None or not (departments or dossiers)
]


def test_scope_admits_what_its_sql_selects() -> None:
    """Scope.admits (the candidates' check in process) and Scope.sql (the index's
    condition) agree, for every combination of whose record an entry says it is."""
    from django.db import connection

    SearchEntry.objects.bulk_create(
        SearchEntry(kind=kind, object_id=n, owner_id=o, department_id=d, dossier_id=s)
        for kind in ("customer", "dossier")
        for n, (o, d, s) in enumerate(_WHOSE)
    )
    for scope in _SCOPES:
        for kind in ("customer", "dossier"):
            condition, params = scope.sql(kind)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT object_id FROM search_searchentry WHERE kind = %s AND {condition}",  # noqa: S608
                    [kind, *params],
                )
                selected = {row[0] for row in cursor.fetchall()}
            admitted = {n for n, whose in enumerate(_WHOSE) if scope.admits(kind, whose)}
            assert selected == admitted, (scope, kind)
    assert len(_SCOPES) > 30


def test_entries_written_before_the_columns_are_anyones(
    bob: Any, crowd: list[Customer], monkeypatch: Any
) -> None:
    """Entries of an index built before migration 0003 have no owner: they are asked for
    like everyone's (the policy check keeps bob's), until `dangan search rebuild`.
    (Written afresh without owners rather than updated: on PostgreSQL an update may move
    the entries, and the index hands over the first four in table order.)"""
    monkeypatch.setattr(
        services, "_whose", lambda *args: {"owner": None, "department": None, "dossier": None}
    )
    rebuild_index()
    assert not SearchEntry.objects.exclude(owner_id=None).exists()
    customers = _group(search(bob, "王芳"), "customer")
    assert customers.count == 0  # the four handed over are the archivist's, as before
    assert [h.pk for h in _group(search(bob, "王芳三"), "customer").hits] == [crowd[2].pk]


def test_a_granted_dossier_of_someone_elses_customer_is_asked_for_too(
    templates: Any, bob: Any, dave: Any, daves_customer: Any
) -> None:
    dossier = dossier_create(
        actor=dave,
        customer=daves_customer,
        archive_type=templates["ENT-CREDIT"],
        fields={"credit_rating": "A"},
    )
    rebuild_index()
    assert _group(search(bob, "远大"), "dossier").count == 0
    grant_in_force(bob, dossier)
    dossiers = _group(search(bob, "远大"), "dossier")
    assert [h.pk for h in dossiers.hits] == [dossier.pk]
    assert _group(search(bob, "远大"), "customer").count == 0  # the grant is on the dossier


def test_a_documents_dossier_comes_with_its_candidate(
    bob: Any, car_dossier: Any, django_assert_num_queries: Any
) -> None:
    """PostgreSQL reads each document candidate's dossier from its entry (a document never
    changes dossiers), so the policy check needs no query of the documents; SQLite reads
    them in process (index.document_dossiers)."""
    from django.db import connection

    from dangan.search import index

    document = document_add(actor=bob, dossier=car_dossier, checklist_item=None, title="委托书")
    rebuild_index()
    whose: dict[str, dict[int, index.Whose]] = {}
    terms = selectors.parse("委托书", names_only=False).terms
    found = index.candidates_many(["document"], terms, 10, whose=whose)
    assert found == {"document": [document.pk]}
    bobs = (bob.pk, bob.department_id, car_dossier.pk)
    assert whose == ({"document": {document.pk: bobs}} if connection.vendor == "postgresql" else {})
    with django_assert_num_queries(0):
        assert index.document_dossiers([document.pk], {document.pk: car_dossier.pk}) == [
            (document.pk, car_dossier.pk)
        ]
    with django_assert_num_queries(1):  # an entry written before the column: asked
        assert index.document_dossiers([document.pk], {}) == [(document.pk, car_dossier.pk)]
    assert _group(search(bob, "委托书"), "document").count == 1
