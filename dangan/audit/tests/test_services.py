from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangan.audit.models import AuditEntry, AuditHead
from dangan.audit.services import _jsonable, audit_record, audit_verify

pytestmark = pytest.mark.django_db


def _trail(alice: Any, n: int = 5) -> None:
    for i in range(n):
        audit_record(actor=alice, action="view", object_type="dossier", object_id=str(i))


def _last() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    return entry


def test_it_chains_each_entry_to_the_previous(alice: Any) -> None:
    _trail(alice)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries][-5:] == list(range(entries[-5].seq, entries[-5].seq + 5))
    for prev, entry in itertools.pairwise(entries):
        assert entry.prev_hash == prev.entry_hash
    assert list(audit_verify()) == []


def test_the_head_moves_with_the_entry_in_one_statement_on_postgresql(alice: Any) -> None:
    """An audited action (every search is one) locks the head, then inserts its entry
    and moves the head: on PostgreSQL both in one statement (a WITH clause), elsewhere
    two. Either way the head names the last entry, and the chain verifies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    audit_record(actor=alice, action="first")
    with CaptureQueriesContext(connection) as queries:
        audit_record(actor=alice, action="search", detail={"q": "王伟"})
    entry = _last()
    head = AuditHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (entry.seq, entry.entry_hash)
    writes = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" not in q["sql"]]
    writes = [sql for sql in writes if sql.split()[0] in ("INSERT", "UPDATE", "WITH")]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2), writes
    assert list(audit_verify()) == []


def test_it_detects_an_edited_entry(alice: Any) -> None:
    _trail(alice)
    victim = AuditEntry.objects.order_by("seq")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(object_id="999")
    problems = list(audit_verify())
    assert problems and problems[0].seq == victim.seq


def test_it_detects_a_deleted_entry(alice: Any) -> None:
    _trail(alice)
    victim = AuditEntry.objects.order_by("seq")[2]
    AuditEntry.objects.filter(pk=victim.pk).delete()
    assert next(iter(audit_verify())).seq == victim.seq


def test_it_detects_a_deleted_last_entry(alice: Any) -> None:
    _trail(alice)
    AuditEntry.objects.order_by("-seq").first().delete()  # type: ignore[union-attr]
    assert list(audit_verify())


def test_it_detects_reordered_entries(alice: Any) -> None:
    _trail(alice)
    a, b = AuditEntry.objects.order_by("seq")[1:3]
    AuditEntry.objects.filter(pk=a.pk).update(seq=-1)
    AuditEntry.objects.filter(pk=b.pk).update(seq=a.seq)
    AuditEntry.objects.filter(pk=a.pk).update(seq=b.seq)
    assert next(iter(audit_verify())).seq == a.seq


def test_it_detects_an_inserted_entry(alice: Any) -> None:
    _trail(alice)
    head = AuditHead.objects.get()
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    AuditEntry.objects.create(
        seq=head.last_seq + 1,
        at=last.at,
        action="view",
        prev_hash=last.entry_hash,
        entry_hash="f" * 64,
    )
    assert list(audit_verify())


def test_it_records_the_actor_roles_and_ip(alice: Any) -> None:
    from dangan.audit.middleware import client_ip

    token = client_ip.set("10.1.2.3")
    try:
        audit_record(actor=alice, action="view", object_type="customer", object_id="1")
    finally:
        client_ip.reset(token)
    entry = _last()
    assert (entry.actor_name, entry.roles, entry.ip) == ("alice", "archivist", "10.1.2.3")


def test_it_prunes_old_entries_and_still_verifies(alice: Any) -> None:
    import datetime

    from django.utils import timezone

    from dangan.audit.services import audit_prune
    from dangan.core.errors import ApplicationError

    _trail(alice)
    old = timezone.now() - datetime.timedelta(days=400)
    first_three = list(AuditEntry.objects.order_by("seq")[:3].values_list("pk", flat=True))
    AuditEntry.objects.filter(pk__in=first_three).update(at=old)
    # Changing `at` broke those entries' hashes; pruning them removes exactly them.
    with pytest.raises(ApplicationError):
        audit_prune(before=timezone.now() - datetime.timedelta(days=30))
    assert audit_prune(before=old + datetime.timedelta(days=1)) == 3
    assert not AuditEntry.objects.filter(pk__in=first_three).exists()
    assert list(audit_verify()) == []
    assert AuditEntry.objects.order_by("-seq").first().action == "prune"  # type: ignore[union-attr]


def test_it_stores_hostile_text_without_failing(alice: Any) -> None:
    audit_record(
        actor=alice,
        action="access",
        object_repr="/x\x00y/" + "z" * 500,
        detail={"q": "a\x00b"},
    )
    entry = _last()
    assert "\x00" not in entry.object_repr and len(entry.object_repr) == 200
    assert entry.detail == {"q": "a\ufffdb"}
    assert list(audit_verify()) == []


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    detail=st.dictionaries(
        st.text(), _JSON_VALUES | st.dates() | st.decimals(allow_nan=False), max_size=4
    )
)
def test_details_are_stored_as_json_gives_them_back_without_nul(detail: dict[str, Any]) -> None:
    """_jsonable: what the jsonb column would hand back, NULs replaced in keys and texts;
    the copy it makes of a flat plain dict (its fast path) is no different."""

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("\x00", "\ufffd")
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {scrub(key): scrub(item) for key, item in value.items()}
        return value

    stored = _jsonable(detail)
    assert stored == scrub(json.loads(json.dumps(detail, ensure_ascii=False, default=str)))
    assert "\x00" not in json.dumps(stored, ensure_ascii=False)
    assert stored is not detail


def test_a_literal_backslash_u0000_text_is_kept() -> None:
    # The text \u0000 (a backslash and five letters) is no NUL; it used to be turned into
    # U+FFFD by replacing inside the JSON text.
    assert _jsonable({"q": "\\u0000"}) == {"q": "\\u0000"}
    assert _jsonable({"q": ["\\u0000", "a\x00"]}) == {"q": ["\\u0000", "a\ufffd"]}


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_append_one_after_the_other() -> None:
    """The head row's lock (_lock_head) orders concurrent appends: no sequence number twice
    or skipped, and the chain verifies (SQLite and PostgreSQL)."""
    import threading

    from django.db import close_old_connections, connection

    if connection.vendor == "sqlite" and ":memory:" in str(connection.settings_dict["NAME"]):
        pytest.skip("needs a file database shared between threads")
    writers, per_writer = 8, 5
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                audit_record(actor=None, action="search", detail={"q": f"{n}-{i}"})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, writers * per_writer + 1))
    assert list(audit_verify()) == []
    head = AuditHead.objects.get(pk=1)
    assert head.last_seq == writers * per_writer


def test_entries_of_a_rolled_back_savepoint_are_dropped_in_a_test_transaction(
    alice: Any,
) -> None:
    """Inside a test's own transaction (never committed) the entries are appended when
    the outermost block of the code under test is left, as if it committed."""
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=alice, action="kept")
        try:
            with transaction.atomic():
                audit_record(actor=alice, action="undone")
                raise RuntimeError
        except RuntimeError:
            pass
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))[-1:] == [
        "kept"
    ]
    assert not AuditEntry.objects.filter(action="undone").exists()
