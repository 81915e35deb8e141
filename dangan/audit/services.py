"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.audit.middleware import client_ip
from dangan.audit.models import AuditEntry, AuditHead
from dangan.core import bulk
from dangan.core.db.base import in_transaction
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound

GENESIS = "0" * 64


# Every column but the primary key, by attribute name, in the order rows are inserted.
_COLUMNS = tuple(f.attname for f in AuditEntry._meta.concrete_fields if not f.primary_key)
_ROW = operator.itemgetter(*_COLUMNS)


def _payload(values: dict[str, Any]) -> bytes:
    """The canonical text an entry's hash covers: its columns by attribute name, all but
    entry_hash (prev_hash included, which chains it to the entry before)."""
    payload = {
        "seq": values["seq"],
        # Always UTC: the database may hand the time back in another zone.
        "at": values["at"].astimezone(datetime.UTC).isoformat(),
        "actor": values["actor_id"],
        "actor_name": values["actor_name"],
        "roles": values["roles"],
        "ip": values["ip"],
        "action": values["action"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "object_repr": values["object_repr"],
        "outcome": values["outcome"],
        "detail": values["detail"],
        "prev": values["prev_hash"],
    }
    return _CANONICAL.encode(payload).encode()


# json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")), with the
# encoder made once rather than per entry.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=4)
def _keyed(key: str) -> Any:
    """An HMAC-SHA256 under `key`, made once, copied for each entry."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def _digest(values: dict[str, Any]) -> str:
    """The stored hash of one entry: HMAC-SHA256 of its canonical text under the audit key
    (settings.AUDIT_CHAIN_KEY, kept in secrets.json, never in the database), so whoever
    can write the database cannot recompute the chain after editing it."""
    mac = _keyed(settings.AUDIT_CHAIN_KEY).copy()
    mac.update(_payload(values))
    return str(mac.hexdigest())


def _legacy_digest(values: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of the entries written before the chain was keyed (an upgraded
    instance: AuditHead.keyed_from says where the keyed part starts)."""
    return hashlib.sha256(_payload(values)).hexdigest()


def chain_digest(entry: AuditEntry) -> str:
    """THE hash an entry stores: HMAC-SHA256 under this instance's audit key of every
    column but entry_hash. Two instances (two keys) give different hashes for one entry.

    Entries before AuditHead.keyed_from (written before an upgrade keyed the chain) store
    the unkeyed SHA-256 instead; audit_verify checks those with _legacy_digest."""
    return _digest({column: getattr(entry, column) for column in _COLUMNS})


def _jsonable(value: Any) -> Any:
    """Detail values as JSON would store and give them back (dates as text, etc.).

    NUL characters are replaced: PostgreSQL refuses them in text and jsonb, and a refused
    audit entry would turn a hostile request into a server error.

    A flat dict of plain text, numbers, booleans and nulls, the detail of most entries,
    would come back unchanged, so it is only copied (an import writes one entry a row)."""
    if type(value) is dict and all(
        type(key) is str and "\x00" not in key and _plain(item) for key, item in value.items()
    ):
        return dict(value)
    return _without_nul(json.loads(json.dumps(value, ensure_ascii=False, default=str)))


def _without_nul(value: Any) -> Any:
    """`value` as json.loads gave it, with every NUL of its texts (keys too) replaced."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _plain(value: Any) -> bool:
    """Whether JSON gives `value` back as it is: not a float (NaN), not a str subclass."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    return value is None or kind is int or kind is bool


def _text(value: str, limit: int) -> str:
    return value.replace("\x00", "\ufffd")[:limit]


@dataclass(frozen=True)
class Event:
    """One entry to append with audit_record_many: what happened to which object."""

    action: str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    outcome: str = AuditEntry.Outcome.SUCCESS
    detail: dict[str, Any] | None = None


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    outcome: str = AuditEntry.Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one entry. Call it inside the transaction of the change it records: the
    entry is appended to the chain when that transaction commits, and not at all if it
    rolls back (see _queue). Outside a transaction it is appended at once."""
    event = Event(action, obj, object_type, object_id, object_repr, outcome, detail)
    _queue(actor, [event])


SEARCH_QUERY_CHARS = 200  # of a search's query kept in its entry


def filters_detail(filters: dict[str, Any]) -> dict[str, str]:
    """The filters of a search or an export as an audit detail: those used, objects (an
    owner, a department) by their id."""
    return {k: str(getattr(v, "pk", v)) for k, v in filters.items() if v not in (None, "")}


def audit_search(*, actor: User | None, query: str, filters: dict[str, Any]) -> None:
    """Record a search (every search is, SPEC C7): its query, trimmed and cut, and the
    other filters used. Nothing without a query: a filtered list is not a search."""
    query = query.strip()
    if not query:
        return
    detail: dict[str, Any] = {"q": query[:SEARCH_QUERY_CHARS]}
    used = filters_detail({k: v for k, v in filters.items() if k != "q"})
    if used:
        detail["filters"] = used
    audit_record(actor=actor, action="search", detail=detail)


def audit_record_many(*, actor: User | None, events: list[Event]) -> None:
    """Record several entries of one actor (bulk services: an import batch writes one
    entry per row, appended as one insert with the rest of its transaction's)."""
    _queue(actor, events)


def _queue(actor: User | None, events: list[Event]) -> None:
    """Queue the entries on the connection, to be chained and inserted right before the
    transaction commits (flush_pending, called by Dangan's database backends,
    dangan.core.db.base): so the head row is the last lock a writing transaction takes.

    Taken in the middle of a transaction, the head's lock deadlocked on PostgreSQL with
    the row locks and deferred foreign-key checks that came after it in the same
    transaction, against transactions that held those rows and waited for the head.

    What the entry says is fixed now (the object's text, the actor's roles, the client's
    address); only its place in the chain and its time are given at the commit. Entries
    queued in a savepoint that rolls back are dropped with it."""
    if not events:
        return
    pending: list[tuple[tuple[Any, ...], Any]] | None = getattr(connection, "audit_pending", None)
    if pending is None:
        raise ImproperlyConfigured(
            "The audit trail needs Dangan's database backends (dangan.core.db.*)."
        )
    roles = ""
    if actor is not None:
        from dangan.accounts.policy import roles_of  # cached on the user per request

        roles = ",".join(sorted(r.code for r in roles_of(actor)))
    ip = client_ip.get()
    entries: list[dict[str, Any]] = []
    for event in events:
        obj = event.obj
        object_type, object_id, object_repr = event.object_type, event.object_id, event.object_repr
        if obj is not None:
            object_type = object_type or obj._meta.model_name or ""
            object_id = object_id or str(obj.pk)
            object_repr = object_repr or str(obj)
        entries.append(
            {
                "actor_id": actor.pk if actor is not None else None,
                "actor_name": actor.username if actor is not None else "",
                "roles": roles,
                "ip": ip,
                "action": event.action,
                "object_type": _text(object_type, 40),
                "object_id": _text(object_id, 40),
                "object_repr": _text(object_repr, 200),
                "outcome": event.outcome,
                "detail": _jsonable(event.detail or {}),
            }
        )
    if in_transaction(connection):
        pending.append((tuple(connection.savepoint_ids), entries))
        return
    # Not inside a transaction (a test case's own does not count): one of its own.
    with transaction.atomic():
        pending.append((tuple(connection.savepoint_ids), entries))


def flush_pending(wrapper: Any) -> None:
    """Chain and insert the entries queued on `wrapper` (a connection of Dangan's database
    backends, about to commit, in this thread): see _queue."""
    if wrapper.alias != DEFAULT_DB_ALIAS:
        raise ImproperlyConfigured("audit entries are written to the default database only")
    entries = [entry for _savepoints, queued in wrapper.audit_pending for entry in queued]
    wrapper.audit_pending.clear()
    seq, prev = _lock_head({e["actor_id"] for e in entries} - {None})
    now = timezone.now()
    for entry in entries:
        seq += 1
        entry["seq"], entry["at"], entry["prev_hash"] = seq, now, prev
        entry["entry_hash"] = prev = _digest(entry)
    # The head moves with the entries: on PostgreSQL in the same statement.
    bulk.insert_rows(
        AuditEntry,
        _COLUMNS,
        [_ROW(entry) for entry in entries],
        also=(_HEAD_UPDATE, [seq, prev]),
    )


# The head row in plain SQL: every search and page view that is audited appends an entry,
# and the ORM took longer to build these statements than the database to run them.
_HEAD = AuditHead._meta.db_table
_HEAD_UPDATE = f"UPDATE {_HEAD} SET last_seq = %s, last_hash = %s WHERE id = 1"  # noqa: S608
_HEAD_SELECT = f"SELECT last_seq, last_hash FROM {_HEAD} WHERE id = 1"  # noqa: S608
_USERS = User._meta.db_table


def _lock_head(actors: set[int]) -> tuple[int, str]:
    """Lock the head row (created on first use) until the transaction ends; its last
    sequence number and hash.

    On PostgreSQL nothing may wait for another transaction after the head is locked: the
    transaction's deferred foreign-key checks are run first (SET CONSTRAINTS ALL
    IMMEDIATE, right before the commit that would run them anyway), and the rows the new
    entries refer to (their actors) are locked FOR KEY SHARE first, which the entries'
    own checks then find already held. All in one round trip.

    SQLite has no FOR UPDATE: its transactions take the write lock up front (settings:
    transaction_mode IMMEDIATE)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(_HEAD_SELECT)
        else:
            statements = ["SET CONSTRAINTS ALL IMMEDIATE"]
            if actors:
                ids = ",".join(str(int(pk)) for pk in sorted(actors))
                statements.append(f"SELECT 1 FROM {_USERS} WHERE id IN ({ids}) FOR KEY SHARE")  # noqa: S608
            statements.append(_HEAD_SELECT + " FOR UPDATE")
            cursor.execute("; ".join(statements))
            for _statement in statements[1:]:
                cursor.nextset()
        row = cursor.fetchone()
        if row is None:
            AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
            cursor.execute(
                _HEAD_SELECT + (" FOR UPDATE" if connection.vendor == "postgresql" else "")
            )
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language."""
        return str(CHAIN_REASONS.get(self.reason, self.reason))


# audit_verify's reasons, for people (the auditor's page, the API's message).
CHAIN_REASONS: dict[str, Any] = {
    "missing or reordered entry": _("记录缺失或顺序被调换"),
    "previous-hash link broken": _("与前一条记录的哈希链接断开"),
    "entry content altered": _("记录内容被修改"),
    "entries removed from the end of the trail": _("末尾的记录被删除"),
    "entries removed after the saved anchor": _("已保存的链头之后的记录被删除"),
    "entry differs from the saved anchor": _("记录与已保存的链头不一致"),
    "pruning not recorded": _("起点被移动而没有对应的清理记录(伪造的清理)"),
    "keying marker moved": _("密钥保护起点被移动"),
}


def chain_message(problem: ChainProblem | None) -> str:
    """A chain check's outcome, as the auditor reads it."""
    if problem is None:
        return str(_("哈希链完整:所有审计记录均未被修改、删除、插入或调换顺序"))
    return str(
        _("哈希链在第 %(seq)s 条处断开(%(reason)s)")
        % {"seq": problem.seq, "reason": problem.reason_text}
    )


def audit_chain_check(*, actor: User) -> ChainProblem | None:
    """Recompute the hash chain on an auditor's demand (it reads every entry), and record
    the check with its outcome; the first break, or None if the chain is whole."""
    from dangan.accounts import permissions as perms
    from dangan.accounts import policy

    policy.require(actor, perms.AUDIT_VIEW)
    problem = next(iter(audit_verify()), None)
    audit_record(
        actor=actor,
        action="verify",
        object_type="audit",
        object_repr="哈希链",
        outcome=AuditEntry.Outcome.SUCCESS if problem is None else AuditEntry.Outcome.FAILED,
        detail={} if problem is None else {"seq": problem.seq, "reason": problem.reason},
    )
    return problem


KEYED_ACTION = "audit_keyed"  # the entry migration 0004 appends where keying starts


def audit_verify(*, anchor: ChainHead | None = None) -> Iterator[ChainProblem]:
    """Recompute the chain; yield its first problem, if any, then a head mismatch.

    Beside every entry's keyed hash and link: the prune anchor (AuditHead.base_*) must be
    named by a recorded, keyed prune (or the keying entry), so deleting the start of the
    trail and moving the anchor is caught; AuditHead.keyed_from must be 1 (or before the
    anchor) or name the keyed "audit_keyed" entry, so the unkeyed part cannot be widened;
    and with `anchor` (a head saved outside the database, e.g. in a backup's manifest or
    with `dangan audit anchor`) the trail must still hold that entry with that hash, which
    catches entries cut from the end together with the head row."""
    head = AuditHead.objects.filter(pk=1).first() or AuditHead(pk=1)
    walk = _Walk(head, anchor.seq if anchor is not None else None)
    problem = walk.run()
    if problem is not None:
        yield problem
        return
    if head.keyed_from > walk.last and head.keyed_from > head.base_seq + 1:
        yield ChainProblem(head.keyed_from, "keying marker moved")
        return
    if head.base_seq > 0 and not walk.base_recorded:
        yield ChainProblem(head.base_seq + 1, "pruning not recorded")
        return
    if head.last_seq != walk.last or head.last_hash != walk.prev:
        yield ChainProblem(walk.last + 1, "entries removed from the end of the trail")
        return
    if anchor is not None:
        yield from _against_anchor(anchor, head, walk)


class _Walk:
    """One pass over the entries in order: the first break, and what the checks after the
    pass need (the last entry, whether the prune anchor is recorded, the anchor's hash)."""

    def __init__(self, head: AuditHead, anchor_seq: int | None) -> None:
        self.head = head
        self.anchor_seq = anchor_seq
        self.anchor_hash: str | None = None
        self.prev = head.base_hash
        self.last = head.base_seq
        self.base_recorded = False

    def run(self) -> ChainProblem | None:
        head = self.head
        for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
            seq = entry.seq
            if seq != self.last + 1:
                return ChainProblem(self.last + 1, "missing or reordered entry")
            if entry.prev_hash != self.prev:
                return ChainProblem(seq, "previous-hash link broken")
            keyed = seq >= head.keyed_from
            values = {column: getattr(entry, column) for column in _COLUMNS}
            if (_digest(values) if keyed else _legacy_digest(values)) != entry.entry_hash:
                return ChainProblem(seq, "entry content altered")
            if seq == head.keyed_from and seq > head.base_seq + 1 and entry.action != KEYED_ACTION:
                return ChainProblem(seq, "keying marker moved")
            if entry.object_type == "audit" and entry.action in ("prune", KEYED_ACTION):
                self.base_recorded = self.base_recorded or self._records_base(entry, keyed)
            if seq == self.anchor_seq:
                self.anchor_hash = entry.entry_hash
            self.prev, self.last = entry.entry_hash, seq
        return None

    def _records_base(self, entry: AuditEntry, keyed: bool) -> bool:
        """Whether `entry` is the record of the current prune anchor: the prune that set
        it (older, unkeyed prunes recorded no hash), or the keying entry that noted it."""
        detail, head = entry.detail or {}, self.head
        if entry.action == KEYED_ACTION:
            return bool(
                detail.get("base_seq") == head.base_seq
                and detail.get("base_hash") == head.base_hash
            )
        if detail.get("up_to_seq") != head.base_seq:
            return False
        return bool(
            detail.get("up_to_hash") == head.base_hash or (not keyed and "up_to_hash" not in detail)
        )


def _against_anchor(anchor: ChainHead, head: AuditHead, walk: _Walk) -> Iterator[ChainProblem]:
    """Compare the trail with a head saved outside the database."""
    if anchor.seq > walk.last:
        yield ChainProblem(walk.last + 1, "entries removed after the saved anchor")
    elif anchor.seq == head.base_seq:
        if anchor.hash != head.base_hash:
            yield ChainProblem(anchor.seq, "entry differs from the saved anchor")
    elif anchor.seq > head.base_seq and anchor.hash != walk.anchor_hash:
        yield ChainProblem(anchor.seq, "entry differs from the saved anchor")
    # An anchor older than the prune anchor names an entry pruned since (and recorded).


@dataclass(frozen=True)
class ChainHead:
    """The head of the trail at a moment: the last entry's sequence number, its (keyed)
    hash and time. Saved outside the database (a backup's manifest, the log, an anchor
    file), it lets `dangan verify --anchor` catch a trail cut back and re-headed."""

    seq: int
    hash: str
    at: datetime.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": ANCHOR_FORMAT,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.astimezone(datetime.UTC).isoformat() if self.at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChainHead:
        """Read an anchor back; ValueError if it is not one."""
        if not isinstance(data, dict) or data.get("format") != ANCHOR_FORMAT:
            raise ValueError("not a Dangan audit anchor")
        seq, digest, at = data.get("seq"), data.get("hash"), data.get("at")
        if type(seq) is not int or seq < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("not a Dangan audit anchor")
        return cls(seq, digest, datetime.datetime.fromisoformat(at) if at else None)

    def describe(self) -> str:
        at = self.at.astimezone(datetime.UTC).isoformat() if self.at else "-"
        return f"#{self.seq} {self.hash} {at}"


ANCHOR_FORMAT = "dangan-audit-anchor/1"


def chain_head(*, using: str = "default") -> ChainHead:
    """The current head of the audit chain (sequence number, hash, time of the last
    entry), for whatever keeps it outside the database: each backup's manifest, the
    worker's log line, `dangan audit anchor`. Read inside the snapshot a backup copies to
    name exactly the trail that backup holds."""
    head = AuditHead.objects.using(using).filter(pk=1).first()
    if head is None:
        return ChainHead(0, GENESIS, None)
    at = (
        AuditEntry.objects.using(using)
        .filter(seq=head.last_seq)
        .values_list("at", flat=True)
        .first()
    )
    return ChainHead(head.last_seq, head.last_hash, at)


@transaction.atomic
def audit_prune(*, before: datetime.datetime, minimum_days: int = 183) -> int:
    """Delete entries older than `before`, keeping the chain verifiable from an anchor.

    For the operator at the console (`dangan audit prune`), never the UI or API. The
    trail is kept at least six months (网络安全法 Art. 21); the prune itself is recorded.
    """
    if before > timezone.now() - datetime.timedelta(days=minimum_days):
        raise ApplicationError(
            _("审计日志至少保留 %(days)s 天") % {"days": minimum_days}, field="before"
        )
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    last = AuditEntry.objects.filter(at__lt=before).order_by("-seq").first()
    if head is None or last is None:
        return 0
    # Only a prefix of the chain may go: everything up to the newest old-enough entry.
    count, _deleted = AuditEntry.objects.filter(seq__lte=last.seq).delete()
    head.base_seq, head.base_hash = last.seq, last.entry_hash
    head.save(update_fields=["base_seq", "base_hash"])
    audit_record(
        actor=None,
        action="prune",
        object_type="audit",
        detail={
            "before": before.isoformat(),
            "up_to_seq": last.seq,
            "up_to_hash": last.entry_hash,
            "deleted": count,
        },
    )
    return count


_P = ParamSpec("_P")
_R = TypeVar("_R")


def refusals_audited(action: str, subject: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a service so that a refused `action` is recorded (its own transaction has
    rolled back by then): outcome denied for not-found/forbidden/invalid moves, failed for
    bad input. `subject` names the keyword argument holding the object (or id) acted on.
    The error is marked audited, so the HTTP layer does not record it again."""

    def decorate(service: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(service)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return service(*args, **kwargs)
            except ApplicationError as exc:
                if not exc.audited:
                    _record_refusal(action, kwargs.get("actor"), kwargs.get(subject), subject, exc)
                raise

        return wrapper

    return decorate


def _record_refusal(
    action: str, actor: Any, subject: Any, name: str, exc: ApplicationError
) -> None:
    denied = isinstance(exc, NotFound | Forbidden | InvalidTransition)
    target: dict[str, Any] = {}
    if isinstance(subject, models.Model):
        target["obj"] = subject
    elif subject is not None:
        target["object_type"] = name.removesuffix("_id")
        target["object_id"] = str(subject)[:40]
    audit_record(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        outcome=AuditEntry.Outcome.DENIED if denied else AuditEntry.Outcome.FAILED,
        detail={"reason": str(exc.message), "field": exc.field or ""},
        **target,
    )
    exc.audited = True
