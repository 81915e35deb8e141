"""Keeping the index current (issue 6 gaps): every service that changes indexed data
queues the re-index after commit, so a search right after the change sees it."""

from __future__ import annotations

from typing import Any

import pytest

from dangan.archives.services import dossier_create, dossier_locate, dossier_update
from dangan.customers.models import RelatedPerson
from dangan.customers.services import customer_update, related_person_add, related_person_remove
from dangan.documents.services import attachment_add, document_add
from dangan.search.services import rebuild_index
from dangan.search.tests.test_search import count, first

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a service and its after-commit callbacks (the re-index) as a request would."""

    def run(service: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def test_it_reindexes_a_customer_when_a_related_person_comes_and_goes(
    bob: Any, bobs_customer: Any, committed: Any
) -> None:
    rebuild_index()
    assert count(bob, "欧阳代理", "customer") == 0
    committed(
        related_person_add,
        actor=bob,
        customer=bobs_customer,
        relation=RelatedPerson.Relation.AGENT,
        name="欧阳代理",
    )
    assert first(bob, "欧阳代理", "customer") == "张三"
    person = bobs_customer.related_persons.get()
    committed(related_person_remove, actor=bob, person=person)
    assert count(bob, "欧阳代理", "customer") == 0
    assert first(bob, "张三", "customer") == "张三"


def test_it_reindexes_a_document_when_a_pdf_with_text_is_attached(
    bob: Any, car_dossier: Any, pdf_bytes: bytes, png_bytes: bytes, committed: Any
) -> None:
    document = committed(
        document_add, actor=bob, dossier=car_dossier, checklist_item=None, title="购车发票"
    )
    assert count(bob, "scan", "document") == 0
    committed(
        attachment_add, actor=bob, document=document, file_name="p.png", file_chunks=[png_bytes]
    )
    document.refresh_from_db()
    assert document.text == ""  # an image has no text layer (OCR comes later)
    committed(
        attachment_add, actor=bob, document=document, file_name="s.pdf", file_chunks=[pdf_bytes]
    )
    document.refresh_from_db()
    assert "Dangan test scan" in document.text
    assert first(bob, "scan", "document") == "购车发票"


def test_it_reindexes_a_customer_and_its_dossiers_when_the_customer_changes(
    bob: Any, bobs_customer: Any, car_dossier: Any, committed: Any
) -> None:
    rebuild_index()
    committed(
        customer_update,
        actor=bob,
        customer=bobs_customer,
        changes={"name": "张三丰", "mobile": "13911112222", "phone": "010-87654321"},
        reason="客户更名",
    )
    assert count(bob, "138001", "customer") == 0
    assert first(bob, "139111", "customer") == "张三丰"
    assert first(bob, "87654321", "customer") == "张三丰"
    assert first(bob, "zsf", "customer") == "张三丰"
    assert first(bob, "张三丰", "dossier").startswith(car_dossier.archive_number)


def test_it_reindexes_a_dossier_when_its_fields_or_title_change(
    templates: Any, bob: Any, carol: Any, bobs_customer: Any, committed: Any
) -> None:
    house = committed(
        dossier_create,
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["RE-SALE"],
        fields={"building": "3", "unit": "1203", "payment": "按揭", "contract_date": "2026-10-01"},
    )
    assert first(bob, "3-1203", "dossier").startswith(house.archive_number)
    committed(
        dossier_update,
        actor=carol,
        dossier=house,
        changes={"title": "张三 湖畔花园认购", "fields": {"building": "5", "unit": "0801"}},
        reason="换房",
    )
    assert count(bob, "3-1203", "dossier") == 0
    assert first(bob, "5-0801", "dossier").startswith(house.archive_number)
    assert first(bob, "湖畔花园", "dossier").startswith(house.archive_number)


def test_it_reindexes_a_dossier_when_it_is_moved_to_another_room(
    alice: Any, bob: Any, car_dossier: Any, committed: Any
) -> None:
    rebuild_index()
    assert count(alice, "东区库房", "dossier") == 0
    committed(dossier_locate, actor=alice, dossier=car_dossier, location={"room": "东区库房"})
    assert first(alice, "东区库房", "dossier").startswith(car_dossier.archive_number)


def test_index_customers_rewrites_customers_and_their_dossiers_and_drops_the_gone(
    bob: Any, bobs_customer: Any, car_dossier: Any
) -> None:
    from dangan.search.models import SearchEntry
    from dangan.search.services import index_customers

    SearchEntry.objects.all().delete()
    index_customers([bobs_customer.pk, 987654])  # 987654: no such customer
    kinds = set(SearchEntry.objects.values_list("kind", "object_id"))
    assert kinds == {("customer", bobs_customer.pk), ("dossier", car_dossier.pk)}
    assert first(bob, "张三", "customer") == "张三"
    assert first(bob, "张三", "dossier")
    SearchEntry.objects.create(kind="customer", object_id=987654, name_tokens="幽灵")
    index_customers([987654])
    assert not SearchEntry.objects.filter(object_id=987654).exists()
