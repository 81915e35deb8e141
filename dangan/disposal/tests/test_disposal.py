from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone

from conftest import audit_actions, car_fields
from dangan.archives.lifecycle import dossier_transition
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition
from dangan.customers.models import Customer
from dangan.disposal import retention, selectors, services
from dangan.disposal.models import DisposalList, RegisterEntry
from dangan.documents.models import Attachment, Blob

pytestmark = pytest.mark.django_db


def run_to_hold(alice: Any, carol: Any, dirk: Any, dossier: Dossier) -> DisposalList:
    found = services.list_propose(actor=alice, dossiers=[dossier.pk], reason="期满")
    services.list_appraise(actor=alice, list_id=found.pk, decision="destroy", note="无保存价值")
    services.list_appraise(actor=carol, list_id=found.pk, decision="destroy")
    return services.list_approve(actor=dirk, list_id=found.pk, note="同意")


def after_hold(found: DisposalList) -> None:
    DisposalList.objects.filter(pk=found.pk).update(
        hold_until=timezone.localdate() - datetime.timedelta(days=1)
    )


class TestRetention:
    def test_it_counts_from_the_termination_and_says_so(self, closed_car: Dossier) -> None:
        assert retention.expires_on(closed_car) == datetime.date(2020, 3, 1)
        assert retention.describe(closed_car) == "定期10年 · 保管至 2020-03-01"

    def test_the_due_list_asks_the_same_few_queries_however_long(
        self,
        closed_car: Dossier,
        alice: Any,
        bob: Any,
        bobs_customer: Any,
        django_assert_max_num_queries: Any,
    ) -> None:
        import random

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from dangan.archives.services import dossier_create
        from dangan.core.identifiers import make_vin
        from dangan.disposal.models import Extension

        with CaptureQueriesContext(connection) as one:
            assert len(selectors.due_list(alice)) == 1
        rng = random.Random(5)  # noqa: S311 - test data
        for _n in range(6):
            more = dossier_create(
                actor=bob,
                customer=bobs_customer,
                archive_type=closed_car.archive_type,
                fields=car_fields(vin=make_vin(rng)),
            )
            Dossier.objects.filter(pk=more.pk).update(retention="D10")
            dossier_transition(
                actor=alice, dossier=more, to="terminated", reason="终止", effective="2011-01-01"
            )
        Extension.objects.create(
            dossier=closed_car, until=datetime.date(2030, 1, 1), reason="续存", decided_by=alice
        )
        with django_assert_max_num_queries(len(one.captured_queries)):
            due = selectors.due_list(alice)
        assert len(due) == 6 and closed_car.pk not in {d.dossier.pk for d in due}

    def test_the_due_list_has_it_for_the_archivist_only(
        self, closed_car: Dossier, alice: Any, dave: Any
    ) -> None:
        assert [d.dossier.pk for d in selectors.due_list(alice)] == [closed_car.pk]
        assert selectors.due_list(dave) == []


class TestWholeList:
    def test_it_runs_from_the_due_list_to_the_register(
        self,
        closed_car: Dossier,
        alice: Any,
        carol: Any,
        dirk: Any,
        ada: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        blob = Attachment.objects.get(document__dossier=closed_car).blob
        assert default_storage.exists(blob.storage_name)
        found = run_to_hold(alice, carol, dirk, closed_car)
        assert found.status == "hold" and found.hold_until > timezone.localdate()
        assert Dossier.objects.get(pk=closed_car.pk).status == "pending_disposal"
        with pytest.raises(InvalidTransition):  # the hold has not ended
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        after_hold(found)
        with pytest.raises(Forbidden):  # the proposer never supervises
            services.list_destroy(actor=alice, list_id=found.pk, method="粉碎")
        with django_capture_on_commit_callbacks(execute=True):  # the bytes go after the commit
            done = services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        assert done.status == "destroyed" and done.supervisor == ada
        dossier = Dossier.objects.get(pk=closed_car.pk)
        assert (
            dossier.status == "destroyed" and dossier.title == "[已销毁]" and dossier.fields == {}
        )
        assert not Blob.objects.filter(pk=blob.pk).exists()
        assert not default_storage.exists(blob.storage_name)  # the bytes are really gone
        customer = Customer.objects.get(pk=closed_car.customer_id)
        assert customer.name == "[已销毁]" and customer.id_number_encrypted == ""
        assert customer.id_number_lookup == "" and customer.mobile == ""
        (entry,) = RegisterEntry.objects.all()
        assert entry.archive_number == closed_car.archive_number and entry.supervisor == str(ada)
        assert "张*" in entry.title and "张三" not in entry.title
        assert "disposal_register" in audit_actions()

    def test_the_register_cannot_be_changed_or_deleted(
        self, closed_car: Dossier, alice: Any, carol: Any, dirk: Any, ada: Any
    ) -> None:
        found = run_to_hold(alice, carol, dirk, closed_car)
        after_hold(found)
        services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        with pytest.raises(DatabaseError), transaction.atomic():
            RegisterEntry.objects.update(method="随便")
        with pytest.raises(DatabaseError), transaction.atomic():
            RegisterEntry.objects.all().delete()
        assert RegisterEntry.objects.get().method == "粉碎"

    def test_a_held_item_cannot_be_destroyed(
        self, closed_car: Dossier, alice: Any, carol: Any, dirk: Any, ada: Any
    ) -> None:
        found = run_to_hold(alice, carol, dirk, closed_car)
        dossier_transition(
            actor=alice,
            dossier=Dossier.objects.get(pk=closed_car.pk),
            to="legal_hold",
            reason="诉讼",
        )
        after_hold(found)
        with pytest.raises(InvalidTransition):
            services.list_destroy(actor=ada, list_id=found.pk, method="粉碎")
        assert Dossier.objects.get(pk=closed_car.pk).status == "legal_hold"
        assert not RegisterEntry.objects.exists()
        assert "disposal_destroy" in audit_actions(outcome="denied")

    def test_kept_by_one_party_goes_back_and_extended_moves_the_date(
        self, closed_car: Dossier, alice: Any, carol: Any
    ) -> None:
        found = services.list_propose(actor=alice, dossiers=[closed_car.pk])
        services.list_appraise(actor=alice, list_id=found.pk, decision="destroy")
        with pytest.raises(ApplicationError):
            services.list_appraise(actor=carol, list_id=found.pk, decision="extend")
        services.list_appraise(
            actor=carol, list_id=found.pk, decision="extend", years=5, note="有未结纠纷"
        )
        found.refresh_from_db()
        assert found.status == "closed"
        assert Dossier.objects.get(pk=closed_car.pk).status == "terminated"
        five_more = retention.add_years(timezone.localdate(), 5)
        assert retention.expires_on(closed_car) == five_more
        assert selectors.due_list(alice) == []


class TestRefusals:
    def test_permanent_and_unexpired_are_refused(self, closed_car: Dossier, alice: Any) -> None:
        Dossier.objects.filter(pk=closed_car.pk).update(retention="Y")
        with pytest.raises(ApplicationError) as permanent:
            services.list_propose(actor=alice, dossiers=[closed_car.pk])
        assert "永久" in str(permanent.value.message)
        Dossier.objects.filter(pk=closed_car.pk).update(retention="D30")
        with pytest.raises(ApplicationError) as early:
            services.list_propose(actor=alice, dossiers=[closed_car.pk])
        assert "未满" in str(early.value.message)
        assert not DisposalList.objects.exists()
        assert "disposal_propose" in audit_actions(outcome="failed")

    def test_only_the_archive_room_proposes(self, closed_car: Dossier, bob: Any) -> None:
        with pytest.raises(Forbidden):
            services.list_propose(actor=bob, dossiers=[closed_car.pk])

    def test_a_deletion_request_goes_the_same_way(
        self, templates: Any, alice: Any, bob: Any, bobs_customer: Any, car_dossier: Any
    ) -> None:
        with pytest.raises(ApplicationError):
            services.deletion_request(actor=alice, customer_id=bobs_customer.pk, reason="")
        found = services.deletion_request(
            actor=alice, customer_id=bobs_customer.pk, reason="客户依法要求删除"
        )
        assert found.kind == "deletion"
        assert Dossier.objects.get(pk=car_dossier.pk).status == "appraisal"


class TestApi:
    def test_the_api_runs_a_list(
        self, closed_car: Dossier, alice: Any, carol: Any, dirk: Any, ada: Any
    ) -> None:
        def client(user: Any) -> Client:
            c = Client()
            c.force_login(user)
            return c

        def post(user: Any, url: str, body: dict[str, Any]) -> Any:
            return client(user).post(url, body, content_type="application/json")

        due = client(alice).get("/api/v1/disposal/due/").json()
        assert [d["id"] for d in due["results"]] == [closed_car.pk]
        made = post(alice, "/api/v1/disposal-lists/", {"dossiers": [closed_car.pk]})
        assert made.status_code == 201, made.json()
        url = f"/api/v1/disposal-lists/{made.json()['id']}/"
        assert post(alice, url + "appraise/", {"decision": "destroy"}).status_code == 200
        assert post(carol, url + "appraise/", {"decision": "destroy"}).status_code == 200
        assert post(alice, url + "approve/", {}).status_code == 403
        assert post(dirk, url + "approve/", {"note": "同意"}).json()["status"] == "hold"
        assert post(ada, url + "destroy/", {"method": "粉碎"}).status_code == 409
        after_hold(DisposalList.objects.get())
        assert post(ada, url + "destroy/", {"method": "随便"}).status_code == 400
        assert post(ada, url + "destroy/", {"method": "粉碎"}).json()["status"] == "destroyed"
        register = client(ada).get("/api/v1/disposal/register/").json()
        assert register["results"][0]["archive_number"] == closed_car.archive_number
        pdf = client(dirk).get("/api/v1/disposal/register.pdf")
        assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
        assert client(carol).get("/api/v1/disposal/register/").status_code == 403

    def test_the_pages_show_each_role_its_step(
        self, closed_car: Dossier, alice: Any, carol: Any, dirk: Any
    ) -> None:
        web = Client()
        web.force_login(alice)
        page = web.get("/disposal/due/").content.decode()
        assert closed_car.archive_number in page
        made = web.post("/disposal/due/", {"dossiers": [closed_car.pk], "reason": "期满"})
        found = DisposalList.objects.get()
        assert made["Location"] == f"/disposal/lists/{found.pk}/"
        assert "提交鉴定" in web.get(made["Location"]).content.decode()
        assert "定期10年" in web.get(f"/dossiers/{closed_car.pk}/").content.decode()
