from __future__ import annotations

from typing import Any

import pytest

from conftest import another_car, audit_actions
from dangan.archives.services import dossier_create
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.documents.services import document_add
from dangan.handover import selectors
from dangan.handover.models import Custody, Handover, HandoverItem
from dangan.handover.services import (
    AlreadyInBatch,
    handover_create,
    handover_departure,
    handover_sign,
    handover_verify,
)
from dangan.handover.tests.conftest import results_for

pytestmark = pytest.mark.django_db


class TestHandoverCreate:
    def test_it_builds_the_transfer_list_from_the_checklist(
        self, batch: Handover, car_dossier: Any
    ) -> None:
        item = batch.items.get()
        required = [
            i.code for i in car_dossier.archive_type.items.all() if i.requirement == "required"
        ]
        codes = [line["code"] for line in item.checklist]
        assert set(required) <= set(codes)
        assert item.item_count == len(codes) == item.lines.count()
        assert batch.number.startswith("YJ-")
        assert batch.totals["dossiers"] == 1
        assert batch.status == Handover.Status.DRAFT
        assert audit_actions(object_type="handover", object_id=str(batch.pk)) == ["create"]

    def test_it_records_file_hashes_in_the_transfer_list(
        self, bob: Any, alice: Any, car_dossier: Any, pdf_bytes: bytes
    ) -> None:
        document_add(
            actor=bob,
            dossier=car_dossier,
            checklist_item=car_dossier.archive_type.items.first(),
            file_name="scan.pdf",
            file_chunks=[pdf_bytes],
        )
        handover = handover_create(
            actor=bob, dossier_ids=[car_dossier.pk], to_department=alice.department
        )
        files = [
            f
            for line in handover.items.get().checklist
            for d in line["documents"]
            for f in d["files"]
        ]
        assert len(files) == 1 and len(files[0]["sha256"]) == 64
        assert handover.totals["bytes"] == len(pdf_bytes)

    def test_it_refuses_a_dossier_already_in_an_open_batch_naming_it(
        self, batch: Handover, bob: Any, dave: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(AlreadyInBatch) as caught:
            handover_create(actor=bob, dossier_ids=[car_dossier.pk], to_user=dave)
        assert batch.number in str(caught.value.message)
        assert caught.value.status_code == 409
        assert HandoverItem.objects.filter(dossier=car_dossier).count() == 1

    def test_it_refuses_a_dossier_the_sender_cannot_see(
        self, dave: Any, alice: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(NotFound):
            handover_create(
                actor=dave, dossier_ids=[car_dossier.pk], to_department=alice.department
            )
        assert not Handover.objects.exists()

    def test_it_needs_exactly_one_receiver(self, bob: Any, alice: Any, car_dossier: Any) -> None:
        with pytest.raises(ApplicationError):
            handover_create(actor=bob, dossier_ids=[car_dossier.pk])
        with pytest.raises(ApplicationError):
            handover_create(
                actor=bob,
                dossier_ids=[car_dossier.pk],
                to_user=alice,
                to_department=alice.department,
            )

    def test_it_refuses_senders_without_the_permission(
        self, eve: Any, alice: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(Forbidden):
            handover_create(actor=eve, dossier_ids=[car_dossier.pk], to_user=alice)


class TestVerifyAndSign:
    def test_it_moves_custody_after_both_signatures(
        self, batch: Handover, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        handover_verify(actor=alice, handover=batch, results=results_for(batch))
        handover_sign(actor=bob, handover=batch, as_party="sender")
        assert not Custody.objects.filter(dossier=car_dossier).exists()
        done = handover_sign(actor=alice, handover=batch, as_party="receiver")
        assert done.status == Handover.Status.SIGNED
        custody = Custody.objects.get(dossier=car_dossier)
        assert custody.department == alice.department and custody.handover == batch
        assert done.received_totals["accepted"] == 1
        assert done.sender_signed_by == bob and done.receiver_signed_by == alice
        assert audit_actions(object_type="handover", object_id=str(batch.pk)) == [
            "create",
            "verify",
            "sign",
            "sign",
            "complete",
        ]
        assert "custody" in audit_actions(object_type="dossier", object_id=str(car_dossier.pk))
        assert selectors.last_signed(car_dossier.pk) == batch
        # Custody frees the dossier for the next batch.
        assert not HandoverItem.objects.filter(dossier=car_dossier, is_open=True).exists()

    def test_it_refuses_signing_twice(self, batch: Handover, bob: Any) -> None:
        handover_sign(actor=bob, handover=batch, as_party="sender")
        with pytest.raises(InvalidTransition):
            handover_sign(actor=bob, handover=batch, as_party="sender")

    def test_it_refuses_the_wrong_party(self, batch: Handover, bob: Any, alice: Any) -> None:
        with pytest.raises(Forbidden):
            handover_sign(actor=alice, handover=batch, as_party="sender")
        with pytest.raises(Forbidden):
            handover_sign(actor=bob, handover=batch, as_party="receiver")
        with pytest.raises(Forbidden):
            handover_verify(actor=bob, handover=batch, results=results_for(batch))

    def test_it_refuses_the_receiver_signature_before_every_line_is_checked(
        self, batch: Handover, alice: Any
    ) -> None:
        with pytest.raises(ApplicationError):
            handover_sign(actor=alice, handover=batch, as_party="receiver")
        assert Handover.objects.get(pk=batch.pk).receiver_signed_at is None

    def test_it_refuses_changes_to_a_closed_batch(
        self, batch: Handover, bob: Any, alice: Any
    ) -> None:
        handover_verify(actor=alice, handover=batch, results=results_for(batch))
        handover_sign(actor=bob, handover=batch, as_party="sender")
        handover_sign(actor=alice, handover=batch, as_party="receiver")
        with pytest.raises(InvalidTransition):
            handover_verify(actor=alice, handover=batch, results=results_for(batch))
        with pytest.raises(InvalidTransition):
            handover_sign(actor=alice, handover=batch, as_party="receiver")

    def test_it_hides_dossiers_the_receiver_may_not_see(
        self, bob: Any, dave: Any, car_dossier: Any
    ) -> None:
        handover = handover_create(actor=bob, dossier_ids=[car_dossier.pk], to_user=dave)
        with pytest.raises(NotFound):
            handover_verify(actor=dave, handover=handover, results=results_for(handover))
        assert not handover.items.get().lines.exclude(result="").exists()

    def test_it_returns_rejected_items_to_the_sender(
        self, batch: Handover, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        code = batch.items.get().lines.first().code
        handover_verify(
            actor=alice, handover=batch, results=results_for(batch, **{code: "missing"})
        )
        assert batch.items.get().status == HandoverItem.Status.REJECTED
        handover_sign(actor=alice, handover=batch, as_party="receiver")
        done = handover_sign(actor=bob, handover=batch, as_party="sender")
        assert done.status == Handover.Status.RETURNED
        assert not Custody.objects.filter(dossier=car_dossier).exists()
        assert done.received_totals["missing"] == 1
        # Returned, the bag may travel again.
        again = handover_create(actor=bob, dossier_ids=[car_dossier.pk], to_user=alice)
        assert again.items.count() == 1

    def test_it_records_a_finding_for_a_missing_line(
        self, batch: Handover, alice: Any, car_dossier: Any
    ) -> None:
        intake = pytest.importorskip("dangan.intake.services")
        code = batch.items.get().lines.first().code
        handover_verify(
            actor=alice, handover=batch, results=results_for(batch, **{code: "missing"})
        )
        from dangan.intake.models import Finding

        assert Finding.objects.filter(dossier=car_dossier).exists()
        assert intake is not None

    def test_it_refuses_a_batch_whose_totals_no_longer_match(
        self, batch: Handover, bob: Any, alice: Any
    ) -> None:
        handover_verify(actor=alice, handover=batch, results=results_for(batch))
        Handover.objects.filter(pk=batch.pk).update(totals={**batch.totals, "lines": 999})
        with pytest.raises(ApplicationError):
            handover_sign(actor=alice, handover=batch, as_party="receiver")


class TestCopies:
    def test_it_keeps_custody_of_the_originals(
        self, bob: Any, alice: Any, car_dossier: Any, pdf_bytes: bytes
    ) -> None:
        doc = document_add(
            actor=bob,
            dossier=car_dossier,
            checklist_item=car_dossier.archive_type.items.first(),
            file_name="scan.pdf",
            file_chunks=[pdf_bytes],
        )
        first = handover_create(
            actor=bob, dossier_ids=[car_dossier.pk], to_department=alice.department
        )
        handover_verify(actor=alice, handover=first, results=results_for(first))
        handover_sign(actor=bob, handover=first, as_party="sender")
        handover_sign(actor=alice, handover=first, as_party="receiver")

        copies = handover_create(
            actor=alice,
            dossier_ids=[car_dossier.pk],
            to_user=bob,
            kind="copies",
            document_ids=[doc.pk],
        )
        item = copies.items.get()
        assert [d["id"] for line in item.checklist for d in line["documents"]] == [doc.pk]
        handover_verify(actor=bob, handover=copies, results=results_for(copies))
        handover_sign(actor=alice, handover=copies, as_party="sender")
        done = handover_sign(actor=bob, handover=copies, as_party="receiver")
        assert done.status == Handover.Status.SIGNED
        assert Custody.objects.get(dossier=car_dossier).handover == first


class TestDeparture:
    def test_it_moves_customers_and_bags_to_the_successor(
        self, alice: Any, bob: Any, carol: Any, car_dossier: Any, bobs_customer: Any
    ) -> None:
        done = handover_departure(actor=carol, from_user=bob, to_user=carol)
        bobs_customer.refresh_from_db()
        assert bobs_customer.owner == carol
        assert done.customers == [bobs_customer.pk]
        assert done.handover is not None and done.handover.kind == Handover.Kind.DEPARTURE
        assert list(done.handover.items.values_list("dossier_id", flat=True)) == [car_dossier.pk]
        entry = audit_actions(action="departure")
        assert entry == ["departure"]
        # The manager who ran the departure signs for the leaver.
        handover_verify(actor=carol, handover=done.handover, results=results_for(done.handover))
        handover_sign(actor=carol, handover=done.handover, as_party="sender")
        assert Handover.objects.get(pk=done.handover.pk).sender_signed_by == carol

    def test_it_moves_customers_into_the_successors_department(
        self, alice: Any, bob: Any, carol: Any, dave: Any, bobs_customer: Any
    ) -> None:
        from conftest import _user
        from dangan.accounts import policy
        from dangan.search.models import SearchEntry
        from dangan.search.services import index_customer

        second_manager = _user("erin", "dept_manager", "销售二部", "吴芳")
        index_customer(bobs_customer.pk)
        assert bobs_customer.department == bob.department
        handover_departure(actor=alice, from_user=bob, to_user=dave)
        bobs_customer.refresh_from_db()
        assert (bobs_customer.owner, bobs_customer.department) == (dave, dave.department)
        assert policy.customers_for(second_manager).filter(pk=bobs_customer.pk).exists()
        assert not policy.customers_for(carol).filter(pk=bobs_customer.pk).exists()
        entries = SearchEntry.objects.filter(kind="customer", object_id=bobs_customer.pk)
        assert [(e.owner_id, e.department_id) for e in entries] == [(dave.pk, dave.department_id)]

    def test_it_redirects_open_batches(self, batch: Handover, bob: Any, carol: Any) -> None:
        done = handover_departure(actor=carol, from_user=bob, to_user=carol)
        assert done.reassigned == [batch.number]
        assert Handover.objects.get(pk=batch.pk).from_user == carol

    def test_it_needs_the_manage_permission(self, bob: Any, dave: Any) -> None:
        with pytest.raises(Forbidden):
            handover_departure(actor=dave, from_user=bob, to_user=dave)

    def test_it_keeps_department_managers_to_their_department(
        self, carol: Any, dave: Any, bob: Any
    ) -> None:
        with pytest.raises(Forbidden):
            handover_departure(actor=carol, from_user=dave, to_user=bob)


def test_it_lets_a_second_dossier_travel_in_the_same_batch(
    templates: Any, bob: Any, alice: Any, car_dossier: Any, bobs_customer: Any
) -> None:
    other = dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=another_car(1),
    )
    handover = handover_create(
        actor=bob, dossier_ids=[car_dossier.pk, other.pk], to_department=alice.department
    )
    assert handover.totals["dossiers"] == 2
