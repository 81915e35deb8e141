"""Discoverable, not readable (issue 27 §1): a colleague in another department finds that a
dossier exists (type, archive number, owning department; nothing personal), asks for it,
and the request goes to the owning side's approvers. Every disclosure is audited."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import audit_actions
from dangan.accounts import policy
from dangan.accounts.models import Role
from dangan.audit.models import AuditEntry
from dangan.circulation import services
from dangan.circulation.models import AccessRequest, ApprovalStep
from dangan.circulation.tests.conftest import later
from dangan.core.errors import NotFound
from dangan.search.services import search_run

pytestmark = pytest.mark.django_db


def discovered(actor: Any, query: str) -> list[Any]:
    result = search_run(actor=actor, raw=query, filters={})
    groups = [g for g in result.groups if g.kind == "discoverable"]
    return groups[0].hits if groups else []


def take_away_discovery(role: str) -> None:
    found = Role.objects.get(code=role)
    found.permissions = [p for p in found.permissions if p != "dossier.discover"]
    found.save(update_fields=["permissions"])


class TestDiscovery:
    def test_another_department_finds_it_by_archive_number(self, dave: Any, car_dossier: Any):
        with pytest.raises(NotFound):  # not readable …
            policy.access_dossier(dave, car_dossier.pk)
        hits = discovered(dave, car_dossier.archive_number)  # … but discoverable
        assert [h.pk for h in hits] == [car_dossier.pk]
        extra = hits[0].extra
        assert extra["archive_number"] == car_dossier.archive_number
        assert extra["archive_type"] == "汽车销售档案"
        assert extra["department"] == "销售一部"
        shown = str(hits[0].title) + str(hits[0].subtitle) + str(extra)
        assert "张三" not in shown and car_dossier.title not in shown
        entry = AuditEntry.objects.filter(action="discover").get()
        assert entry.actor_id == dave.pk
        assert entry.detail["dossiers"] == [car_dossier.archive_number]

    def test_business_staff_find_it_by_exact_name(self, eve: Any, car_dossier: Any):
        assert [h.pk for h in discovered(eve, "张三")] == [car_dossier.pk]

    def test_it_finds_by_a_whole_id_number_but_not_its_last_digits(
        self, dave: Any, car_dossier: Any
    ):
        assert [h.pk for h in discovered(dave, "11010519491231002X")] == [car_dossier.pk]
        assert discovered(dave, "002X") == []
        assert discovered(dave, "张") == []  # a surname is no exact name

    def test_it_lists_nothing_the_actor_reads_already(self, bob: Any, car_dossier: Any):
        assert discovered(bob, car_dossier.archive_number) == []
        assert not AuditEntry.objects.filter(action="discover").exists()

    def test_a_role_without_discovery_finds_nothing(self, dave: Any, car_dossier: Any):
        take_away_discovery("account_manager")
        assert discovered(dave, car_dossier.archive_number) == []


class TestRequestAcrossDepartments:
    def test_it_routes_to_the_owning_side_and_opens_after_approval(
        self, alice: Any, carol: Any, dave: Any, car_dossier: Any
    ):
        request = services.request_create(
            actor=dave,
            kind="view",
            dossier_id=car_dossier.pk,
            purpose="客户转介绍核对",
            until=later(days=2),
        )
        assert request.relation == "other"
        steps = [(s.role, str(s.department or "*")) for s in request.steps.all()]
        assert steps == [("dept_manager", "销售一部"), ("archivist", "*")]
        services.request_approve(actor=carol, request=request)
        services.request_approve(actor=alice, request=request)
        request.refresh_from_db()
        assert request.status == "approved"
        assert policy.access_dossier(dave, car_dossier.pk) == car_dossier

    def test_it_refuses_what_one_may_not_even_discover(self, sam: Any, dave: Any, car_dossier: Any):
        take_away_discovery("account_manager")
        for actor in (sam, dave):
            with pytest.raises(NotFound) as exc:
                services.request_create(
                    actor=actor,
                    kind="view",
                    dossier_id=car_dossier.pk,
                    purpose="x",
                    until=later(days=1),
                )
            assert exc.value.field == "dossier" and exc.value.status_code == 400
        assert AccessRequest.objects.count() == 0
        assert ApprovalStep.objects.count() == 0
        assert audit_actions(outcome="denied", action="request") == ["request", "request"]


class TestApi:
    def test_the_search_answers_a_discoverable_group_and_the_request_is_accepted(
        self, client: Any, alice: Any, dave: Any, car_dossier: Any
    ):
        client.force_login(dave)
        answer = client.get("/api/v1/search/", {"q": car_dossier.archive_number}).json()
        group = next(g for g in answer["groups"] if g["kind"] == "discoverable")
        (hit,) = group["results"]
        assert hit["id"] == car_dossier.pk
        assert hit["archive_number"] == car_dossier.archive_number
        assert hit["department"] == "销售一部"
        assert "张三" not in str(hit)
        made = client.post(
            "/api/v1/access-requests/",
            {
                "kind": "borrow",
                "dossier": hit["id"],
                "purpose": "借阅核对",
                "until": later(days=2).isoformat(),
            },
            content_type="application/json",
        )
        assert made.status_code == 201, made.json()
        assert made.json()["status"] == "pending"

    def test_a_request_for_the_undiscoverable_is_a_field_named_400(
        self, client: Any, sam: Any, car_dossier: Any
    ):
        client.force_login(sam)
        refused = client.post(
            "/api/v1/access-requests/",
            {"kind": "view", "dossier": car_dossier.pk, "purpose": "x", "until": "2099-01-01"},
            content_type="application/json",
        )
        assert refused.status_code == 400
        assert list(refused.json()) == ["dossier"]
        assert AccessRequest.objects.count() == 0

    def test_the_request_page_hides_the_title_from_the_requester(
        self, client: Any, dave: Any, car_dossier: Any
    ):
        client.force_login(dave)
        page = client.get("/circulation/requests/new/", {"dossier": car_dossier.pk})
        text = page.content.decode()
        assert car_dossier.archive_number in text and "汽车销售档案" in text
        assert "张三" not in text
