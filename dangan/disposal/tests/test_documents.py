"""Documents with a retention of their own (issue 24 §1 "per document type"): 002 篇3 4.3.5's
complaint, communication and quality records end before the owner's dossier. They come up
on the due list one by one, go through the same list (appraisal, approval, hold, supervised
destruction) and leave one register line each, 档号-件号, while their dossier stays."""

from __future__ import annotations

import datetime
import io
from contextlib import redirect_stdout
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD, PDF_BYTES, car_fields
from dangan.archives.lifecycle import dossier_transition
from dangan.archives.models import ChecklistItem, Dossier
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.disposal import retention, selectors, services
from dangan.disposal.models import DisposalList, Extension, RegisterEntry
from dangan.documents.models import Attachment, Blob, Document
from dangan.rules import schema

from .test_disposal import after_hold

pytestmark = pytest.mark.django_db

COMPLAINT_DAY = datetime.date(2015, 5, 4)  # + D3 → kept until 2018-05-04


@pytest.fixture
def short_item(templates: Any) -> ChecklistItem:
    """A car-sale item kept three years on its own (the company's rule, as PROPERTY ships)."""
    item = templates["CAR-SALE"].items.order_by("position").last()
    ChecklistItem.objects.filter(pk=item.pk).update(retention="D3")
    return ChecklistItem.objects.get(pk=item.pk)


@pytest.fixture
def live_car(templates: Any, alice: Any, bob: Any, bobs_customer: Any) -> Dossier:
    import random

    from dangan.archives.services import dossier_create
    from dangan.core.identifiers import make_vin

    # A VIN of its own: one car, one dossier (closed_car has the default one).
    vin = make_vin(random.Random(24))  # noqa: S311 - test data
    return dossier_create(
        actor=bob,
        customer=bobs_customer,
        archive_type=templates["CAR-SALE"],
        fields=car_fields(vin=vin),
    )


@pytest.fixture
def complaint(alice: Any, live_car: Dossier, short_item: ChecklistItem) -> Document:
    from dangan.documents.services import document_add

    return document_add(
        actor=alice,
        dossier=live_car,
        checklist_item=short_item,
        title="客户投诉记录 2015-05",
        doc_date=COMPLAINT_DAY,
        file_name="complaint.pdf",
        file_chunks=[PDF_BYTES + b"complaint"],
    )


@pytest.fixture
def contract(alice: Any, live_car: Dossier) -> Document:
    from dangan.documents.services import document_add

    return document_add(
        actor=alice,
        dossier=live_car,
        checklist_item=live_car.archive_type.items.order_by("position").first(),
        doc_date=COMPLAINT_DAY,
        file_name="contract.pdf",
        file_chunks=[PDF_BYTES + b"contract"],
    )


def appraise_and_approve(alice: Any, carol: Any, dirk: Any, found: DisposalList) -> DisposalList:
    services.list_appraise(actor=alice, list_id=found.pk, decision="destroy", note="已过期")
    services.list_appraise(actor=carol, list_id=found.pk, decision="destroy")
    return services.list_approve(actor=dirk, list_id=found.pk, note="同意")


class TestRetentionOfADocument:
    def test_it_counts_from_the_document_date_and_says_so(self, complaint: Document) -> None:
        assert retention.document_expires_on(complaint) == datetime.date(2018, 5, 4)
        assert retention.describe_document(complaint) == "单独保管 定期3年 · 保管至 2018-05-04"

    def test_a_document_that_follows_its_dossier_has_none(self, contract: Document) -> None:
        assert retention.document_expires_on(contract) is None
        assert retention.describe_document(contract) == ""

    def test_the_due_list_has_the_document_not_its_live_dossier(
        self, alice: Any, complaint: Document, contract: Document
    ) -> None:
        due = selectors.due_list(alice)
        assert [(d.kind, d.document) for d in due] == [("document", complaint)]
        row = due[0].as_dict()
        assert row["kind"] == "document" and row["document"] == complaint.pk
        assert row["piece_number"] == complaint.piece_number
        assert row["retention"] == "定期3年" and row["expires"] == "2018-05-04"

    def test_the_shipped_property_items_keep_three_years(self, templates: Any) -> None:
        kept = dict(
            templates["PROPERTY"].items.exclude(retention="").values_list("code", "retention")
        )
        assert kept == {"COMPLAINTS": "D3", "COMMUNICATION": "D3", "QUALITY": "D3"}


class TestAWholeDocumentList:
    def test_it_runs_to_the_register_and_the_dossier_stays(
        self,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        live_car: Dossier,
        complaint: Document,
        contract: Document,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        blob = Attachment.objects.get(document=complaint).blob
        assert default_storage.exists(blob.storage_name)
        found = services.list_propose(actor=alice, documents=[complaint.pk], reason="投诉记录期满")
        assert Dossier.objects.get(pk=live_car.pk).status == live_car.status  # not in appraisal
        assert selectors.due_list(alice) == []  # on an open list
        found = appraise_and_approve(alice, carol, dirk, found)
        assert found.status == "hold"
        assert Dossier.objects.get(pk=live_car.pk).status == live_car.status
        after_hold(found)
        with django_capture_on_commit_callbacks(execute=True):
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        gone = Document.objects.get(pk=complaint.pk)
        assert gone.state == Document.State.DESTROYED and gone.title == services.ERASED
        assert not Attachment.objects.filter(document=gone).exists()
        assert not Blob.objects.filter(pk=blob.pk).exists()
        assert not default_storage.exists(blob.storage_name)  # the bytes are really gone
        kept = Document.objects.get(pk=contract.pk)
        assert kept.state == Document.State.VALID and kept.attachments.count() == 1
        assert Dossier.objects.get(pk=live_car.pk).status == live_car.status
        entry = RegisterEntry.objects.get()
        assert entry.archive_number == f"{live_car.archive_number}-{complaint.piece_number:03d}"
        assert (entry.pieces, entry.years, entry.retention) == (1, "2015", "定期3年")
        assert entry.supervisor == str(ada) and entry.method == "粉碎"

    def test_a_required_piece_destroyed_in_its_time_is_gone_not_missing(
        self,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        live_car: Dossier,
        complaint: Document,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        """A required item kept for less time than its dossier: once its piece is lawfully
        destroyed the item is not asked for again (no 缺件 finding, counted as done)."""
        from dangan.archives.checklist import dossier_checklist
        from dangan.intake.checks import completeness

        ChecklistItem.objects.filter(pk=complaint.checklist_item_id).update(
            requirement=ChecklistItem.Requirement.REQUIRED
        )
        found = services.list_propose(actor=alice, documents=[complaint.pk], reason="期满")
        after_hold(appraise_and_approve(alice, carol, dirk, found))
        with django_capture_on_commit_callbacks(execute=True):
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        checklist = dossier_checklist(Dossier.objects.get(pk=live_car.pk))
        row = next(r for r in checklist.rows if r.item.pk == complaint.checklist_item_id)
        assert row.required and row.disposed and not row.present and not row.missing
        assert row not in checklist.missing_rows
        assert [i.key for i in completeness(checklist)] == [
            f"missing:{r.item.code}" for r in checklist.missing_rows
        ]
        assert f"missing:{row.item.code}" not in [i.key for i in completeness(checklist)]
        client = Client()
        client.login(username=alice.username, password=PASSWORD)
        body = client.get(f"/api/v1/dossiers/{live_car.pk}/checklist/").json()
        answered = next(r for r in body if r["code"] == row.item.code)
        assert answered["disposed"] is True and answered["present"] is False
        page = client.get(f"/dossiers/{live_car.pk}/").content.decode()
        line = page.split(f'data-item="{row.item.code}"')[1].split("</tr>")[0]
        assert "已销毁" in line and "缺失" not in line

    def test_an_extension_keeps_the_document_off_the_due_list(
        self, alice: Any, carol: Any, complaint: Document
    ) -> None:
        found = services.list_propose(actor=alice, documents=[complaint.pk])
        services.list_appraise(
            actor=alice, list_id=found.pk, decision="extend", years=2, note="纠纷未了"
        )
        services.list_appraise(actor=carol, list_id=found.pk, decision="keep")
        assert DisposalList.objects.get(pk=found.pk).status == "closed"
        extension = Extension.objects.get()
        assert extension.document_id == complaint.pk
        assert retention.document_expires_on(complaint) == extension.until
        assert extension.until > timezone.localdate()
        assert selectors.due_list(alice) == []


class TestRefusals:
    def test_a_document_that_follows_its_dossier_is_refused(
        self, alice: Any, contract: Document
    ) -> None:
        with pytest.raises(ApplicationError) as refused:
            services.list_propose(actor=alice, documents=[contract.pk])
        assert refused.value.field == "documents" and "整卷" in str(refused.value.message)
        assert not DisposalList.objects.exists()

    def test_a_document_still_in_its_time_is_refused(self, alice: Any, complaint: Document) -> None:
        Document.objects.filter(pk=complaint.pk).update(doc_date=timezone.localdate())
        with pytest.raises(ApplicationError) as refused:
            services.list_propose(actor=alice, documents=[complaint.pk])
        assert "保管期限未满" in str(refused.value.message)

    def test_a_document_on_an_open_list_or_lent_out_is_refused(
        self, alice: Any, live_car: Dossier, complaint: Document
    ) -> None:
        services.list_propose(actor=alice, documents=[complaint.pk])
        with pytest.raises(InvalidTransition):
            services.list_propose(actor=alice, documents=[complaint.pk])
        DisposalList.objects.update(status="closed")
        Dossier.objects.filter(pk=live_car.pk).update(status=Dossier.Status.ON_LOAN)
        with pytest.raises(InvalidTransition) as refused:
            services.list_propose(actor=alice, documents=[complaint.pk])
        assert "借出" in str(refused.value.message)

    def test_a_dossier_with_a_document_kept_longer_stays(
        self, closed_car: Dossier, alice: Any
    ) -> None:
        """closed_car's D10 ended in 2020; a piece kept permanently keeps it all."""
        document = Document.objects.filter(dossier=closed_car).first()
        assert document is not None and document.checklist_item is not None
        ChecklistItem.objects.filter(pk=document.checklist_item_id).update(retention="Y")
        with pytest.raises(ApplicationError) as refused:
            services.list_propose(actor=alice, dossiers=[closed_car.pk])
        assert "单独保管" in str(refused.value.message)
        assert Dossier.objects.get(pk=closed_car.pk).status == "terminated"

    def test_a_document_cannot_be_destroyed_once_its_dossier_is_frozen(
        self,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        live_car: Dossier,
        complaint: Document,
    ) -> None:
        found = appraise_and_approve(
            alice, carol, dirk, services.list_propose(actor=alice, documents=[complaint.pk])
        )
        after_hold(found)
        dossier_transition(actor=alice, dossier=live_car, to="legal_hold", reason="诉讼")
        with pytest.raises(InvalidTransition) as refused:
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        assert "冻结" in str(refused.value.message)
        assert Document.objects.get(pk=complaint.pk).state == Document.State.VALID
        assert not RegisterEntry.objects.exists()


class TestTheRule:
    def test_the_schema_takes_an_item_retention_and_names_a_bad_one(self) -> None:
        base = [{"code": "A", "name": "投诉记录", "retention": "d3"}]
        (item,) = schema.parse_checklist(base, ())
        assert item.retention == "D3" and item.stored()["retention"] == "D3"
        with pytest.raises(ApplicationError) as refused:
            schema.parse_checklist([{**base[0], "retention": "X5"}], ())
        assert refused.value.field == "checklist" and "投诉记录" in str(refused.value.message)

    def test_the_rules_page_edits_each_item_retention(
        self, client: Client, alice: Any, templates: Any
    ) -> None:
        archive_type = templates["CAR-SALE"]
        items = list(archive_type.items.order_by("position", "id"))
        client.login(username="alice", password=PASSWORD)
        page = client.get(f"/rules/archive-types/{archive_type.pk}/")
        assert "各类文件的单独保管期限" in page.content.decode()
        form = {
            "section": "retention",
            "retention-numbering": archive_type.numbering,
            "retention-retention": archive_type.retention,
            "retention-cross_year": archive_type.cross_year,
            "retention-trigger": "closed",
            "retention-hold_months": "6",
            **{f"retention-item_{item.code}": "" for item in items},
            f"retention-item_{items[-1].code}": "d5",
        }
        assert client.post(f"/rules/archive-types/{archive_type.pk}/", form).status_code == 302
        assert ChecklistItem.objects.get(pk=items[-1].pk).retention == "D5"
        form[f"retention-item_{items[-1].code}"] = "五年"
        answer = client.post(f"/rules/archive-types/{archive_type.pk}/", form)
        assert "单独保管期限应为" in answer.content.decode()
        assert ChecklistItem.objects.get(pk=items[-1].pk).retention == "D5"  # nothing half-saved


class TestApiAndCli:
    def test_the_api_lists_documents_and_answers_their_piece(
        self, alice: Any, live_car: Dossier, complaint: Document, contract: Document
    ) -> None:
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(alice)
        due = api.get("/api/v1/disposal/due/").json()
        assert [(r["kind"], r["document"]) for r in due["results"]] == [("document", complaint.pk)]
        made = api.post("/api/v1/disposal-lists/", {"documents": [complaint.pk]}, format="json")
        assert made.status_code == 201, made.content
        (item,) = made.json()["items"]
        assert item["document"] == complaint.pk and item["dossier"] == live_car.pk
        assert item["piece_number"] == complaint.piece_number
        refused = api.post("/api/v1/disposal-lists/", {"documents": [contract.pk]}, format="json")
        assert refused.status_code == 400 and "documents" in refused.json()

    def test_the_archive_type_answers_each_item_retention_and_confirm(
        self, alice: Any, short_item: ChecklistItem
    ) -> None:
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(alice)
        found = api.get(f"/api/v1/archive-types/{short_item.archive_type_id}/").json()
        item = next(i for i in found["checklist"] if i["code"] == short_item.code)
        assert item["retention"] == "D3" and "confirm" in item

    def test_the_cli_names_the_piece(self, alice: Any, complaint: Document) -> None:
        from dangan.cli import main

        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["disposal", "due", "--user", "alice"]) == 0
        text = out.getvalue()
        assert f"-{complaint.piece_number:03d}" in text and "1 件" in text


class TestAppraisers:
    def test_the_director_signs_for_a_department_without_a_manager(
        self,
        alice: Any,
        carol: Any,
        dirk: Any,
        live_car: Dossier,
        complaint: Document,
    ) -> None:
        """销售三部 has no manager: the list would wait for nobody; the director appraises."""
        from dangan.accounts.models import Department
        from dangan.customers.models import Customer

        third = Department.objects.create(name="销售三部")
        Customer.objects.filter(pk=live_car.customer_id).update(department=third)
        found = services.list_propose(actor=alice, documents=[complaint.pk])
        item = found.items.get()
        assert services.parties_of(carol, item) == []  # another department's manager
        assert services.parties_of(dirk, item) == ["business"]
        assert services.business_appraisers(third.pk) == [dirk]
        services.list_appraise(actor=alice, list_id=found.pk, decision="destroy")
        services.list_appraise(actor=dirk, list_id=found.pk, decision="destroy")
        assert DisposalList.objects.get(pk=found.pk).status == "approval"


class TestDueExport:
    def test_the_due_list_exports_as_filtered_and_is_audited(
        self, client: Client, alice: Any, complaint: Document, closed_car: Dossier
    ) -> None:
        import io as _io

        from openpyxl import load_workbook

        from conftest import audit_actions

        client.login(username="alice", password=PASSWORD)
        page = client.get("/disposal/due/")
        assert "/disposal/due.xlsx?" in page.content.decode()
        answer = client.get(f"/disposal/due.xlsx?type={closed_car.archive_type_id}&q=")
        assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
        sheet = load_workbook(_io.BytesIO(b"".join(answer.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("档号", "件号", "题名")
        assert (closed_car.archive_number, None) in {(r[0], r[1]) for r in rows[1:]}
        assert any(r[1] == complaint.piece_number for r in rows[1:])
        assert sheet.freeze_panes == "A2"
        assert "export" in audit_actions()


class TestRestoreDuringHold:
    def test_the_archive_room_takes_an_item_back_and_the_list_ends(
        self,
        client: Client,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        closed_car: Dossier,
    ) -> None:
        from conftest import audit_actions

        found = services.list_propose(actor=alice, dossiers=[closed_car.pk], reason="期满")
        found = appraise_and_approve(alice, carol, dirk, found)
        assert Dossier.objects.get(pk=closed_car.pk).status == "pending_disposal"
        item = found.items.get()
        with pytest.raises(ApplicationError) as refused:  # a reason is required
            services.list_restore(actor=alice, list_id=found.pk, items=[item.pk], reason=" ")
        assert refused.value.field == "reason"
        with pytest.raises(Forbidden):  # the approver is not the archive room
            services.list_restore(actor=dirk, list_id=found.pk, items=[item.pk], reason="诉讼")
        client.login(username="alice", password=PASSWORD)
        page = client.get(f"/disposal/lists/{found.pk}/").content.decode()
        assert "保留期内撤回" in page and 'form="restore-form"' in page
        answer = client.post(
            f"/disposal/lists/{found.pk}/restore/", {"items": [item.pk], "reason": "客户提起诉讼"}
        )
        assert answer.status_code == 302
        shown = client.get(answer["Location"]).content.decode()
        assert "已撤回所选条目" in shown, shown[
            shown.find("messages") : shown.find("messages") + 600
        ]
        assert DisposalList.objects.get(pk=found.pk).status == "closed"
        assert found.items.get().decision == "restored"
        assert Dossier.objects.get(pk=closed_car.pk).status == "terminated"  # as before
        assert "disposal_restore" in audit_actions()
        after_hold(found)
        with pytest.raises(InvalidTransition):  # nothing left to destroy
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        assert not RegisterEntry.objects.exists()

    def test_the_api_restores_one_document_and_keeps_the_rest_going(
        self,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        live_car: Dossier,
        complaint: Document,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from rest_framework.test import APIClient

        from dangan.documents.services import document_add

        other = document_add(
            actor=alice,
            dossier=live_car,
            checklist_item=complaint.checklist_item,
            title="客户投诉记录 2014",
            doc_date=datetime.date(2014, 1, 2),
        )
        found = appraise_and_approve(
            alice,
            carol,
            dirk,
            services.list_propose(actor=alice, documents=[complaint.pk, other.pk]),
        )
        first = found.items.get(document=complaint)
        api = APIClient()
        api.force_authenticate(alice)
        url = f"/api/v1/disposal-lists/{found.pk}/restore/"
        assert api.post(url, {"items": [first.pk]}, format="json").status_code == 400  # reason
        answer = api.post(url, {"items": [first.pk], "reason": "纠纷未了"}, format="json")
        assert answer.status_code == 200, answer.content
        decisions = {i["document"]: i["decision"] for i in answer.json()["items"]}
        assert decisions == {complaint.pk: "restored", other.pk: "destroy"}
        assert answer.json()["status"] == "hold"
        after_hold(found)
        with django_capture_on_commit_callbacks(execute=True):
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        assert Document.objects.get(pk=complaint.pk).state == Document.State.VALID
        assert Document.objects.get(pk=other.pk).state == Document.State.DESTROYED
        assert RegisterEntry.objects.count() == 1
