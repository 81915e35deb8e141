"""Forging the trail with plain SQL, as whoever can write the database but has not the
audit key would: every case is reported by audit_verify (and `dangan verify`) with the
first bad entry. SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from dangan.audit.models import AuditEntry, AuditHead
from dangan.audit.services import (
    _COLUMNS,
    ChainHead,
    _legacy_digest,
    _payload,
    audit_prune,
    audit_record,
    audit_verify,
    chain_digest,
    chain_head,
)

pytestmark = pytest.mark.django_db

ENTRY = AuditEntry._meta.db_table
HEAD = AuditHead._meta.db_table


def _sql(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _trail(n: int = 6) -> list[AuditEntry]:
    for i in range(n):
        audit_record(actor=None, action="view", object_type="dossier", object_id=str(i))
    return list(AuditEntry.objects.order_by("seq"))


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {column: getattr(entry, column) for column in _COLUMNS}


def _rechain(start_seq: int, digest: Any) -> None:
    """Recompute every hash from `start_seq` on with `digest` and move the head, in SQL:
    the forger's re-chaining."""
    prev = AuditEntry.objects.get(seq=start_seq - 1).entry_hash if start_seq > 1 else "0" * 64
    for entry in AuditEntry.objects.filter(seq__gte=start_seq).order_by("seq"):
        entry.prev_hash = prev
        prev = digest(_values(entry))
        _sql(
            f"UPDATE {ENTRY} SET prev_hash = %s, entry_hash = %s WHERE id = %s",  # noqa: S608
            [entry.prev_hash, prev, entry.pk],
        )
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    _sql(f"UPDATE {HEAD} SET last_seq = %s, last_hash = %s", [last.seq, prev])  # noqa: S608


def _first(**kwargs: Any) -> tuple[int, str]:
    problems = list(audit_verify(**kwargs))
    assert problems, "the forgery was not reported"
    return problems[0].seq, problems[0].reason


def test_it_keys_the_chain_two_keys_two_hashes(settings: Any) -> None:
    entry = _trail(1)[0]
    assert chain_digest(entry) == entry.entry_hash
    assert entry.entry_hash != _legacy_digest(_values(entry))
    settings.AUDIT_CHAIN_KEY = "another instance's key"
    assert chain_digest(entry) != entry.entry_hash
    assert (
        chain_digest(entry)
        == hmac.new(b"another instance's key", _payload(_values(entry)), hashlib.sha256).hexdigest()
    )
    # The other instance's key does not verify this one's trail.
    assert _first() == (entry.seq, "entry content altered")


def test_an_edit_rechained_without_the_key_is_reported() -> None:
    entries = _trail()
    victim = entries[2]
    _sql(f"UPDATE {ENTRY} SET object_id = %s WHERE id = %s", ["999", victim.pk])  # noqa: S608
    assert _first() == (victim.seq, "entry content altered")
    # The forger recomputes the chain the old way (plain SHA-256) and moves the head.
    _rechain(victim.seq, _legacy_digest)
    assert _first() == (victim.seq, "entry content altered")


def test_an_edit_rechained_under_a_guessed_key_is_reported() -> None:
    entries = _trail()
    victim = entries[3]
    _sql(f"UPDATE {ENTRY} SET outcome = 'denied' WHERE id = %s", [victim.pk])  # noqa: S608

    def forged(values: dict[str, Any]) -> str:
        return hmac.new(b"guess", _payload(values), hashlib.sha256).hexdigest()

    _rechain(victim.seq, forged)
    assert _first() == (victim.seq, "entry content altered")


def test_a_deleted_entry_is_reported() -> None:
    entries = _trail()
    _sql(f"DELETE FROM {ENTRY} WHERE id = %s", [entries[2].pk])  # noqa: S608
    assert _first() == (entries[2].seq, "missing or reordered entry")


def test_reordered_entries_are_reported() -> None:
    entries = _trail()
    a, b = entries[1], entries[2]
    _sql(f"UPDATE {ENTRY} SET seq = -1 WHERE id = %s", [a.pk])  # noqa: S608
    _sql(f"UPDATE {ENTRY} SET seq = %s WHERE id = %s", [a.seq, b.pk])  # noqa: S608
    _sql(f"UPDATE {ENTRY} SET seq = %s WHERE id = %s", [b.seq, a.pk])  # noqa: S608
    assert _first()[0] == a.seq


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_saved_anchor() -> None:
    entries = _trail()
    anchor = chain_head()
    assert (anchor.seq, anchor.hash) == (entries[-1].seq, entries[-1].entry_hash)
    assert list(audit_verify(anchor=anchor)) == []
    keep = entries[-3]
    _sql(f"DELETE FROM {ENTRY} WHERE seq > %s", [keep.seq])  # noqa: S608
    _sql(f"UPDATE {HEAD} SET last_seq = %s, last_hash = %s", [keep.seq, keep.entry_hash])  # noqa: S608
    # Without the anchor the database agrees with itself; with it, the cut shows.
    assert list(audit_verify()) == []
    assert _first(anchor=anchor) == (keep.seq + 1, "entries removed after the saved anchor")


def test_an_anchor_naming_another_hash_is_reported() -> None:
    entries = _trail()
    anchor = ChainHead(entries[2].seq, "a" * 64, None)
    assert _first(anchor=anchor) == (entries[2].seq, "entry differs from the saved anchor")


def test_a_faked_prune_is_reported() -> None:
    """Deleting the start of the trail and moving the prune anchor to the last deleted
    entry: the chain from there links up, but no keyed prune entry names that anchor."""
    entries = _trail()
    cut = entries[2]
    _sql(f"DELETE FROM {ENTRY} WHERE seq <= %s", [cut.seq])  # noqa: S608
    _sql(f"UPDATE {HEAD} SET base_seq = %s, base_hash = %s", [cut.seq, cut.entry_hash])  # noqa: S608
    assert _first() == (cut.seq + 1, "pruning not recorded")


def test_a_real_prune_verifies_and_then_a_faked_one_does_not() -> None:
    entries = _trail()
    old = timezone.now() - datetime.timedelta(days=400)
    # The entries are backdated and re-hashed with the key: a trail that old.
    for entry in entries[:3]:
        entry.at = old
        entry.save(update_fields=["at"])
    _rechain(entries[0].seq, lambda values: chain_digest(AuditEntry(**values)))
    assert list(audit_verify()) == []
    assert audit_prune(before=old + datetime.timedelta(days=1)) == 3
    assert list(audit_verify()) == []
    # Moving the anchor further, past entries the prune kept, is reported.
    cut = AuditEntry.objects.order_by("seq")[1]
    _sql(f"DELETE FROM {ENTRY} WHERE seq <= %s", [cut.seq])  # noqa: S608
    _sql(f"UPDATE {HEAD} SET base_seq = %s, base_hash = %s", [cut.seq, cut.entry_hash])  # noqa: S608
    assert _first() == (cut.seq + 1, "pruning not recorded")


def _legacy_trail(n: int = 5) -> list[AuditEntry]:
    """A trail as an older version wrote it: unkeyed SHA-256."""
    _trail(n)
    _rechain(1, _legacy_digest)
    return list(AuditEntry.objects.order_by("seq"))


def _key_chain() -> None:
    migration = importlib.import_module("dangan.audit.migrations.0004_keyed_chain")
    migration.key_chain(apps, None)


def test_an_upgraded_trail_is_keyed_from_a_recorded_entry_on() -> None:
    legacy = _legacy_trail()
    assert _first()[0] == 1  # not keyed: the new version refuses it as is
    _key_chain()
    head = AuditHead.objects.get(pk=1)
    marker = AuditEntry.objects.get(seq=head.keyed_from)
    assert (marker.seq, marker.action, marker.prev_hash) == (
        6,
        "audit_keyed",
        legacy[-1].entry_hash,
    )
    assert marker.entry_hash == chain_digest(marker)  # the migration's digest is the live one
    assert [e.entry_hash for e in AuditEntry.objects.filter(seq__lt=6).order_by("seq")] == [
        e.entry_hash for e in legacy
    ]
    audit_record(actor=None, action="view")
    assert list(audit_verify()) == []


def test_an_upgraded_trail_cannot_be_rewritten_below_the_keyed_entry() -> None:
    legacy = _legacy_trail()
    _key_chain()
    _sql(f"UPDATE {ENTRY} SET object_id = 'x' WHERE id = %s", [legacy[1].pk])  # noqa: S608
    assert _first() == (legacy[1].seq, "entry content altered")
    # Re-chained the old way up to the keyed entry: its keyed hash covers the old link.
    prev = legacy[0].entry_hash
    for entry in AuditEntry.objects.filter(seq__gte=2, seq__lt=6).order_by("seq"):
        entry.prev_hash = prev
        prev = _legacy_digest(_values(entry))
        _sql(
            f"UPDATE {ENTRY} SET prev_hash = %s, entry_hash = %s WHERE id = %s",  # noqa: S608
            [entry.prev_hash, prev, entry.pk],
        )
    assert _first() == (6, "previous-hash link broken")


def test_the_keying_marker_cannot_be_moved() -> None:
    _legacy_trail()
    _key_chain()
    audit_record(actor=None, action="view")
    # Moved past the end (everything "unkeyed"), or onto a later entry.
    for moved in (100, 7):
        _sql(f"UPDATE {HEAD} SET keyed_from = %s", [moved])  # noqa: S608
        assert _first()[0] in (6, moved)
        assert _first()[1] in ("keying marker moved", "entry content altered")
    _sql(f"UPDATE {HEAD} SET keyed_from = 1")  # noqa: S608
    assert _first() == (1, "entry content altered")


def test_the_anchor_round_trips_through_json() -> None:
    _trail(2)
    head = chain_head()
    data = json.loads(json.dumps(head.as_dict()))
    assert ChainHead.from_dict(data) == head
    with pytest.raises(ValueError):
        ChainHead.from_dict({"seq": 1})
