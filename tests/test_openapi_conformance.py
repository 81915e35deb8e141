"""The OpenAPI document says what the API answers: every GET operation that answers JSON is
called as users who may use it, on demo data with requests, loans, hand-overs and findings,
and each real answer is validated against the response schema the document gives
(jsonschema, with the document's $refs resolved and OpenAPI 3.0's `nullable` read as
JSON Schema). A generated client relies on exactly that."""

from __future__ import annotations

import contextlib
import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from jsonschema import Draft202012Validator

from dangan.accounts.models import User

pytestmark = pytest.mark.django_db

# Operations this test does not call: files and PDFs/sheets (not JSON), and the import
# jobs, whose answers are described as "no body" (the import API's own issue).
SKIPPED = {
    "/api/v1/imports/{id}/",
    "/api/v1/approval-rules/preview/",  # answers only for a described request (its own tests)
}
# Users to call each operation as, in turn: every one whose answer is 200 is checked.
CALLERS = ("clerk", "sales1", "manager1", "director", "auditor", "finance", "staff")
QUERY = {"/api/v1/search/": {"q": "王"}}


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture
def world(settings: Any) -> dict[str, Any]:
    """The demo data, and one of each thing the lists list."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from dangan.archives.loader import templates_load
    from dangan.archives.models import Dossier
    from dangan.circulation import lending
    from dangan.circulation import services as circulation
    from dangan.demo import demo_load
    from dangan.handover.services import handover_create
    from dangan.intake.services import dossier_audit

    templates_load(actor=None)
    demo_load(per_type=2)
    users = {u.username: u for u in User.objects.all()}
    clerk, sales1 = users["clerk"], users["sales1"]
    dossiers = list(Dossier.objects.filter(customer__owner=sales1).order_by("id"))
    later = timezone.now() + datetime.timedelta(days=3)
    circulation.request_create(
        actor=users["staff"],
        kind="view",
        dossier_id=dossiers[0].pk,
        purpose="核对合同",
        until=later,
    )
    from dangan.core.errors import ApplicationError
    from dangan.documents.models import Document

    # Originals are never lent: one filed dossier whose papers are copies goes out on
    # loan, on a borrow request approved along its chain.
    lent = Dossier.objects.filter(customer__owner=sales1, status="filed").order_by("id").first()
    assert lent is not None
    Document.objects.filter(dossier=lent).update(carrier=Document.Carrier.PAPER_COPY)
    borrow = circulation.request_create(
        actor=sales1, kind="borrow", dossier_id=lent.pk, purpose="复印合同", until=later
    )
    for approver in ("manager1", "clerk", "director"):
        borrow.refresh_from_db()
        if borrow.status == "pending":
            with contextlib.suppress(ApplicationError):  # not this approver's step
                circulation.request_approve(actor=users[approver], request=borrow)
    lending.loan_create(actor=clerk, dossier=lent, borrower=sales1, due=later, request=borrow)
    handover_create(actor=sales1, dossier_ids=[dossiers[2].pk], to_department=clerk.department)
    for dossier in dossiers[:3]:
        dossier_audit(actor=clerk, dossier=dossier)
    return users


def _ids(path: str) -> dict[str, Any]:
    """Values for the path parameters of `path`: an object of the kind it names."""
    from dangan.archives.models import ArchiveType, Dossier
    from dangan.circulation.models import AccessRequest, Loan
    from dangan.customers.models import Customer, RelatedPerson
    from dangan.documents.models import Attachment, Document
    from dangan.handover.models import Handover

    kinds: list[tuple[str, Any]] = [
        ("/customers/{id}/related-persons/", Customer),
        ("/customers/", Customer),
        ("/archive-types/", ArchiveType),
        ("/dossiers/", Dossier),
        ("/documents/", Document),
        ("/files/", Attachment),
        ("/access-requests/", AccessRequest),
        ("/loans/", Loan),
        ("/handovers/", Handover),
    ]
    model = next((m for prefix, m in kinds if prefix in path), None)
    values: dict[str, Any] = {}
    if model is not None:
        first = model.objects.order_by("id").first()
        values = {"id": first.pk, "key": getattr(first, "code", "")}
    person = RelatedPerson.objects.first()
    if person is not None:
        values["person_pk"] = person.pk
    return values


def test_every_get_operation_answers_what_the_document_says(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["clerk"])
    document = client.get("/api/v1/schema/", {"format": "json"}).json()
    components = _json_schema(document.get("components", {}))
    checked: dict[str, int] = {}
    problems: list[str] = []
    for path, operations in sorted(document["paths"].items()):
        get = operations.get("get")
        if get is None or path in SKIPPED:
            continue
        content = get.get("responses", {}).get("200", {}).get("content", {})
        if "application/json" not in content:
            continue  # a PDF, a sheet, a file
        schema = _json_schema(content["application/json"]["schema"])
        validator = Draft202012Validator({**schema, "components": components})
        values = _ids(path)
        url = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v.get(m.group(1), 0)), path)
        checked[path] = 0
        for username in CALLERS:
            caller = Client()
            caller.force_login(world[username])
            response = caller.get(url, QUERY.get(path, {}))
            if response.status_code != 200:
                continue
            body = response.json()
            problems += [
                f"{path} as {username}: {e.message} at {list(e.absolute_path)}"
                for e in validator.iter_errors(body)
            ][:3]
            checked[path] += 1
    assert not problems, "\n".join(problems)
    # Every list, and every detail this test has data for, was really checked. (Details
    # of kinds the data set lacks — newer apps' — are checked when they answer.)
    unanswered = [
        path for path, n in checked.items() if n == 0 and ("{" not in path or _ids(path).get("id"))
    ]
    assert unanswered == [], "never answered 200 to any caller"
    # The twelve paginated lists are described as pages, not bare arrays.
    pages = [
        path
        for path, operations in document["paths"].items()
        if "get" in operations
        and "count" in str(operations["get"]["responses"].get("200", {}).get("content", {}))
    ]
    assert len(checked) >= 20
    for name in ("customers", "documents", "dossiers", "loans", "findings", "handovers"):
        assert f"/api/v1/{name}/" in pages or _page_ref(document, f"/api/v1/{name}/")


def _page_ref(document: dict[str, Any], path: str) -> bool:
    """Whether the list at `path` answers a Paginated… component (count + results)."""
    schema = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    ref = schema["schema"].get("$ref", "")
    component = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return {"count", "results"} <= set(component.get("properties", {}))


def test_the_dossier_audit_answer_is_described_as_it_is(world: dict[str, Any]) -> None:
    """POST …/audit/ answers {deadline, findings}: the document says so."""
    from dangan.archives.models import Dossier

    client = Client()
    client.force_login(world["clerk"])
    document = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = document["paths"]["/api/v1/dossiers/{id}/audit/"]["post"]
    schema = _json_schema(operation["responses"]["200"]["content"]["application/json"]["schema"])
    validator = Draft202012Validator({**schema, "components": _json_schema(document["components"])})
    dossier = Dossier.objects.order_by("id").first()
    assert dossier is not None
    body = client.post(f"/api/v1/dossiers/{dossier.pk}/audit/").json()
    assert set(body) == {"deadline", "findings"}
    assert not list(validator.iter_errors(body))
    assert list(validator.iter_errors([])), "a bare array must not pass"
