from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dangan.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_audits_a_guessed_customer_id_in_the_ui(dave: Any, bobs_customer: Any) -> None:
    client = Client()
    client.force_login(dave)
    assert client.get(f"/customers/{bobs_customer.pk}/").status_code == 404
    entry = AuditEntry.objects.filter(outcome="denied").get()
    assert (entry.actor_name, entry.action) == ("dave", "access")
    assert entry.object_repr == f"/customers/{bobs_customer.pk}/"
    assert entry.detail == {"method": "GET", "reason": "not_found"}


def test_it_audits_a_refused_api_call(dave: Any, bobs_customer: Any) -> None:
    client = Client()
    client.force_login(dave)
    response = client.patch(
        f"/api/v1/customers/{bobs_customer.pk}/", {"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 404
    bobs_customer.refresh_from_db()
    assert bobs_customer.name == "张三"
    assert AuditEntry.objects.filter(outcome="denied", actor_name="dave").count() == 1


def test_it_audits_a_missing_permission(ada: Any) -> None:
    client = Client()
    client.force_login(ada)
    assert client.get("/customers/").status_code == 403
    entry = AuditEntry.objects.filter(outcome="denied").get()
    assert entry.detail["reason"] == "forbidden"


def test_attempt_turns_a_refusal_into_a_message_and_lets_not_found_through(rf: Any) -> None:
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    from dangan.core.errors import ApplicationError, NotFound
    from dangan.core.http import attempt

    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)

    def refuse() -> None:
        raise ApplicationError("已签过字")

    def missing() -> None:
        raise NotFound("记录不存在或您无权查看")

    assert attempt(request, refuse, "已签字") is None
    assert attempt(request, lambda: 42, "已签字") == 42
    assert [str(m) for m in get_messages(request)] == ["已签过字", "已签字"]
    with pytest.raises(NotFound):
        attempt(request, missing)
