"""Paper copies issued, recalled, returned and destroyed (issue 27 §7; seed 002 篇4: member
lists printed for a lecture, returned before the next one or within a week, destroyed)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD, audit_actions
from dangan.circulation.models import Notification
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.paper import copies
from dangan.paper.models import PaperCopy

pytestmark = pytest.mark.django_db


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def in_days(n: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=n)


@pytest.fixture
def issued(alice: Any, frank: Any, car_dossier: Any) -> PaperCopy:
    return copies.paper_copy_issue(
        actor=alice,
        title="3月12日讲座会员名单",
        purpose="讲座后完善会员资料",
        copies=3,
        issued_to=frank,
        due=timezone.localdate() + datetime.timedelta(days=7),
        dossier_ids=[car_dossier.pk],
    )


@pytest.fixture
def frank(db: Any) -> Any:
    from conftest import _user

    return _user("frank", "customer_service", "客服部", "吴刚")


class TestIssue:
    def test_it_issues_with_a_return_date_and_tells_the_holder(
        self, issued: PaperCopy, frank: Any, car_dossier: Any
    ) -> None:
        assert issued.number.startswith("FF-")
        assert issued.status == PaperCopy.Status.ISSUED
        assert timezone.localtime(
            issued.due_at
        ).date() == timezone.localdate() + datetime.timedelta(days=7)
        assert list(issued.dossiers.all()) == [car_dossier]
        assert audit_actions(action="copy_issue") == ["copy_issue"]
        assert Notification.objects.filter(user=frank, text__contains=issued.number).exists()

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"title": " "}, "title"),
            ({"copies": 0}, "copies"),
            ({"due": timezone.localdate() - datetime.timedelta(days=1)}, "due"),
            ({"due": timezone.localdate() + datetime.timedelta(days=60)}, "due"),
            ({"issued_to": 999999}, "issued_to"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(
        self, alice: Any, frank: Any, changes: dict[str, Any], field: str
    ) -> None:
        values: dict[str, Any] = {
            "title": "名单",
            "purpose": "讲座",
            "copies": 1,
            "issued_to": frank.pk,
            "due": timezone.localdate() + datetime.timedelta(days=3),
        }
        with pytest.raises(ApplicationError) as caught:
            copies.paper_copy_issue(actor=alice, **{**values, **changes})
        assert caught.value.field == field
        assert not PaperCopy.objects.exists()

    def test_a_dossier_the_issuer_cannot_see_is_refused(self, alice: Any, frank: Any) -> None:
        with pytest.raises(ApplicationError) as caught:
            copies.paper_copy_issue(
                actor=alice,
                title="名单",
                purpose="讲座",
                copies=1,
                issued_to=frank,
                due=in_days(2),
                dossier_ids=[999999],
            )
        assert caught.value.field == "dossiers"
        assert not PaperCopy.objects.exists()

    def test_only_the_archive_room_issues(self, bob: Any, frank: Any) -> None:
        with pytest.raises(Forbidden):
            copies.paper_copy_issue(
                actor=bob, title="名单", purpose="讲座", copies=1, issued_to=frank, due=in_days(2)
            )


class TestRecallReturnDestroy:
    def test_the_whole_cycle(self, alice: Any, frank: Any, issued: PaperCopy) -> None:
        recalled = copies.paper_copy_recall(actor=alice, copy=issued, note="下次讲座在周五")
        assert recalled.status == PaperCopy.Status.RECALLED
        assert Notification.objects.filter(user=frank, text__contains="请立即交回").exists()
        returned = copies.paper_copy_return(actor=alice, copy=issued, returned_copies=3)
        assert returned.status == PaperCopy.Status.RETURNED
        assert returned.received_by == alice
        destroyed = copies.paper_copy_destroy(
            actor=alice, copy=issued, method="碎纸机粉碎", witness="张审计"
        )
        assert destroyed.status == PaperCopy.Status.DESTROYED
        assert audit_actions(action__startswith="copy_") == [
            "copy_issue",
            "copy_recall",
            "copy_return",
            "copy_destroy",
        ]

    def test_fewer_copies_back_need_a_note(self, alice: Any, issued: PaperCopy) -> None:
        with pytest.raises(ApplicationError) as caught:
            copies.paper_copy_return(actor=alice, copy=issued, returned_copies=2)
        assert caught.value.field == "note"
        issued.refresh_from_db()
        assert issued.status == PaperCopy.Status.ISSUED
        copies.paper_copy_return(actor=alice, copy=issued, returned_copies=2, note="一份遗失")

    def test_nothing_is_destroyed_before_it_comes_back(self, alice: Any, issued: PaperCopy) -> None:
        with pytest.raises(InvalidTransition):
            copies.paper_copy_destroy(actor=alice, copy=issued, method="碎纸机")
        issued.refresh_from_db()
        assert issued.status == PaperCopy.Status.ISSUED

    def test_only_the_archive_room_takes_copies_back(self, frank: Any, issued: PaperCopy) -> None:
        with pytest.raises(Forbidden):
            copies.paper_copy_return(actor=frank, copy=issued, returned_copies=3)

    def test_a_late_copy_is_overdue(self, issued: PaperCopy) -> None:
        PaperCopy.objects.filter(pk=issued.pk).update(issued_at=in_days(-10), due_at=in_days(-3))
        assert list(copies.overdue(PaperCopy.objects.all())) == [issued]

    def test_a_late_copy_is_asked_back_once_a_day(
        self, alice: Any, frank: Any, issued: PaperCopy
    ) -> None:
        from dangan.home.tasks import remind_daily

        assert copies.overdue_notify() == 0  # not late yet: nobody is bothered
        PaperCopy.objects.filter(pk=issued.pk).update(issued_at=in_days(-10), due_at=in_days(-3))
        remind_daily.call()  # the worker's daily task sends it
        held = Notification.objects.get(user=frank, key__startswith="paper-copy-late")
        assert issued.number in held.text and "逾期" in held.text
        assert held.link == f"/copies/{issued.pk}/"
        room = Notification.objects.get(user=alice, key__startswith="paper-copies-late")
        assert "1 份" in room.text and room.link.endswith("?show=overdue")
        assert copies.overdue_notify() == 0  # once a day
        copies.paper_copy_return(actor=alice, copy=issued, returned_copies=3)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        assert copies.overdue_notify(today=tomorrow) == 0  # back: no more reminders


class TestApi:
    def test_issue_recall_return_destroy(self, alice: Any, frank: Any) -> None:
        client = api(alice)
        response = client.post(
            "/api/v1/paper-copies/",
            {
                "title": "讲座会员名单",
                "purpose": "完善资料",
                "copies": 2,
                "issued_to": frank.pk,
                "due": in_days(5).isoformat(),
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        assert (
            client.post(f"/api/v1/paper-copies/{pk}/recall/", {}, format="json").status_code == 200
        )
        back = client.post(
            f"/api/v1/paper-copies/{pk}/return/", {"returned_copies": 2}, format="json"
        )
        assert back.json()["status"] == "returned"
        gone = client.post(
            f"/api/v1/paper-copies/{pk}/destroy/", {"method": "碎纸机"}, format="json"
        )
        assert gone.json()["status"] == "destroyed"
        again = client.post(f"/api/v1/paper-copies/{pk}/recall/", {}, format="json")
        assert again.status_code == 409

    def test_a_bad_due_date_is_a_field_named_400(self, alice: Any, frank: Any) -> None:
        response = api(alice).post(
            "/api/v1/paper-copies/",
            {
                "title": "名单",
                "purpose": "讲座",
                "copies": 1,
                "issued_to": frank.pk,
                "due": in_days(-1).isoformat(),
            },
            format="json",
        )
        assert response.status_code == 400
        assert "due" in response.json()

    def test_the_holder_sees_their_own_copy_and_nobody_else_does(
        self, issued: PaperCopy, frank: Any, bob: Any
    ) -> None:
        assert api(frank).get(f"/api/v1/paper-copies/{issued.pk}/").status_code == 200
        assert api(frank).get("/api/v1/paper-copies/").json()["count"] == 1
        assert api(bob).get(f"/api/v1/paper-copies/{issued.pk}/").status_code == 404
        assert api(bob).get("/api/v1/paper-copies/").json()["count"] == 0
        refused = api(frank).post(
            f"/api/v1/paper-copies/{issued.pk}/return/", {"returned_copies": 3}, format="json"
        )
        assert refused.status_code == 403
        with pytest.raises(NotFound):
            copies.access_copy(bob, issued.pk)


class TestPages:
    def test_the_archivist_issues_from_the_page(
        self, alice: Any, frank: Any, car_dossier: Any
    ) -> None:
        client = Client()
        assert client.login(username="alice", password=PASSWORD)
        response = client.post(
            "/copies/",
            {
                "title": "讲座会员名单",
                "purpose": "完善资料",
                "copies": "2",
                "issued_to": str(frank.pk),
                "due": str(timezone.localdate() + datetime.timedelta(days=7)),
                "archive_numbers": car_dossier.archive_number,
            },
        )
        assert response.status_code == 302
        copy = PaperCopy.objects.get()
        assert list(copy.dossiers.all()) == [car_dossier]
        page = client.get(f"/copies/{copy.pk}/")
        assert "登记收回" in page.content.decode()
        client.post(f"/copies/{copy.pk}/return/", {"returned_copies": "1"})
        copy.refresh_from_db()
        assert copy.status == PaperCopy.Status.ISSUED  # one short, no note: refused
        client.post(f"/copies/{copy.pk}/return/", {"returned_copies": "1", "note": "一份遗失"})
        copy.refresh_from_db()
        assert copy.status == PaperCopy.Status.RETURNED

    def test_an_unknown_archive_number_is_named(self, alice: Any, frank: Any) -> None:
        client = Client()
        assert client.login(username="alice", password=PASSWORD)
        response = client.post(
            "/copies/",
            {
                "title": "名单",
                "purpose": "讲座",
                "copies": "1",
                "issued_to": str(frank.pk),
                "due": str(timezone.localdate() + datetime.timedelta(days=3)),
                "archive_numbers": "NO-SUCH-1",
            },
        )
        assert "NO-SUCH-1" in response.content.decode()
        assert not PaperCopy.objects.exists()
