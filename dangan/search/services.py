"""Keeping the index current. The create/change services queue these with
`index_after_commit` (`transaction.on_commit`, STYLE convention 3), so the index row is
written as soon as the change commits; `rebuild_index` (`dangan search rebuild`)
recreates everything. While an import runs on PostgreSQL the writes are handed to a
thread of their own (`index_in_background`)."""

from __future__ import annotations

import contextlib
import functools
import html
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, connections, transaction
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.audit.services import audit_search
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.search import discover, index, selectors
from dangan.search import segment as seg
from dangan.search.models import SearchEntry

Kind = SearchEntry.Kind


def index_after_commit(write: Callable[..., None], *args: Any) -> None:
    """Run `write(*args)` once the current transaction commits: at once, or on the index
    writer's thread while `index_in_background` is active in this thread."""
    transaction.on_commit(functools.partial(_run_or_queue, write, args))


def _run_or_queue(write: Callable[..., None], args: tuple[Any, ...]) -> None:
    writer = index_writer()
    if writer is None:
        write(*args)
    else:
        writer.submit(functools.partial(write, *args))


_background = threading.local()


class IndexWriter:
    """One thread with its own connection that runs index writes in the order given.
    At most QUEUED wait: a caller that gets further ahead waits for the writer."""

    QUEUED = 2

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=self.QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                if self._error is None:
                    try:
                        job()
                    except BaseException as exc:  # raised in the caller's thread
                        self._error = exc
        finally:
            connections.close_all()  # this thread's own

    def submit(self, job: Callable[[], None]) -> None:
        self.raise_error()
        self._jobs.put(job)

    def close(self) -> None:
        """Wait until every write given has run."""
        self._jobs.put(None)
        self._thread.join()

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error


@contextlib.contextmanager
def index_in_background() -> Iterator[None]:
    """For the block (an import): the index writes queued by index_after_commit run on a
    thread of their own, with its own connection, in order, while this thread goes on
    with the next batch. PostgreSQL's work on them (the GIN and B-tree inserts, the
    commit) then overlaps this thread's Python work instead of following it. The block
    ends when every write has run; the first that failed is raised then, or at the next
    write queued. The entries of a committed batch are thus written up to QUEUED + 1
    batches late (QUEUED waiting, one being written).

    Only on PostgreSQL (SQLite has one writer at a time) and outside a transaction: a
    write queued inside one would commit on the other connection even if this one
    rolled back."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or getattr(_background, "writer", None) is not None
    ):
        yield
        return
    writer = IndexWriter()
    _background.writer = writer
    try:
        yield
    finally:
        _background.writer = None
        writer.close()
    writer.raise_error()


def index_writer() -> IndexWriter | None:
    """The index writer of `index_in_background` active in this thread, or None: for
    threads that work for the same block (an import's batch lanes), see index_writes_to."""
    return getattr(_background, "writer", None)


@contextlib.contextmanager
def index_writes_to(writer: IndexWriter | None) -> Iterator[None]:
    """In this thread, for the block: the index writes queued by index_after_commit go to
    `writer` (index_writer() of another thread; None: they run at once). The thread's own
    writer, if it had one, is put back after."""
    before = index_writer()
    _background.writer = writer
    try:
        yield
    finally:
        _background.writer = before


def _customer_row(customer: Customer, *, new: bool = False) -> dict[str, Any]:
    related = [] if new else [p.name for p in customer.related_persons.all()]
    ids = seg.digit_tokens(customer.mobile) + seg.digit_tokens(customer.phone)
    ids.append(seg.clean(customer.uscc))
    return {
        "names": seg.join(seg.name_tokens(customer.name, *related)),
        "ids": seg.join(ids),
        "text": "",
        **_whose(customer),
    }


def _whose(customer: Customer, dossier_id: int | None = None) -> dict[str, int | None]:
    """Whose record an entry is (SearchEntry.owner_id …): its customer's account manager
    and department, and its dossier."""
    return {
        "owner": customer.owner_id,
        "department": customer.department_id,
        "dossier": dossier_id,
    }


def _dossier_row(dossier: Dossier) -> dict[str, Any]:
    fields = dossier.fields or {}
    ids = [seg.clean(dossier.archive_number)]
    vin = seg.clean(str(fields.get("vin") or ""))
    if vin:
        ids += [vin, vin[-6:]]
    member = seg.clean(str(fields.get("member_no") or ""))
    if member:
        ids += [member, *seg.digit_tokens(member)]
    unit = str(fields.get("unit") or "")
    if unit:
        building = str(fields.get("building") or "")
        ids += seg.unit_keys(building, str(fields.get("entrance") or ""), unit)
        ids.append(seg.clean(unit))
    room = str(dossier.location_room or "")
    return {
        "names": seg.join(seg.name_tokens(dossier.customer.name)) if dossier.customer else "",
        "ids": seg.join(ids),
        "text": seg.join(seg.text_tokens(dossier.title, room)),
        **_whose_dossier(dossier),
    }


def _whose_dossier(dossier: Dossier) -> dict[str, int | None]:
    """_whose of a dossier: its customer's; for a company file (no customer), whoever filed
    it and its department, as policy.customerless_filter reads them."""
    if dossier.customer is not None:
        return _whose(dossier.customer, dossier.pk)
    return {
        "owner": dossier.created_by_id,
        "department": dossier.department_id,
        "dossier": dossier.pk,
    }


def _document_row(document: Document) -> dict[str, Any]:
    """A document's entry (its dossier and the dossier's customer read with it:
    _DOCUMENT_SCOPE)."""
    return {
        "names": "",
        "ids": "",
        "text": seg.join(seg.text_tokens(document.title, document.text)),
        **_whose_dossier(document.dossier),
    }


# What _document_row reads besides the document's own title and text.
_DOCUMENT_SCOPE = (
    "dossier__customer__owner_id",
    "dossier__customer__department_id",
    "dossier__created_by_id",
    "dossier__department_id",
)


# An entry names whose record it is (_whose), and a trigger moves the entries when a
# customer changes hands. An index write could still name a former owner: it reads the
# owner, the change commits (its trigger finding no entries yet, or the ones about to be
# replaced), then the write commits what it read. So every write reads the owner in its
# own transaction, through a lock on the customer row (PostgreSQL: FOR NO KEY UPDATE, in
# key order, as a hand-over takes them): a change in progress is waited for and then
# read, and one that comes later waits for the entries and moves them. SQLite's write
# transactions take the database's write lock up front, so what they read is current.
# (`rebuild_index` reads without locks: rows changed while it runs are written again by
# their own index writes, which wait for its commit.)


def _lock_customers_of(dossiers: Any) -> None:
    """Take the lock above on the customers of these dossiers, in key order (a company
    file has no customer: nothing to lock, and no owner to change under it). Apart from
    the read, as FOR UPDATE may not reach the nullable side of the dossier's join."""
    ids = sorted({pk for pk in dossiers.values_list("customer_id", flat=True) if pk is not None})
    if ids:
        list(
            Customer.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )


def _owners_locked(customer_ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """Each customer's owner and department, read under the lock above."""
    rows = (
        Customer.objects.filter(pk__in=customer_ids)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "owner_id", "department_id")
    )
    return {pk: (owner, department) for pk, owner, department in rows}


def index_customer(customer_id: int) -> None:
    index_customers([customer_id])


@transaction.atomic
def index_customers(customer_ids: list[int]) -> None:
    """(Re)write the entries of these customers and of their dossiers (a dossier is found
    by its customer's name too), in bulk; drop those of customers that are gone. One
    customer after a change, or the committed batches of an import resumed after its
    process died between a commit and the index write."""
    step = 2000
    for start in range(0, len(customer_ids), step):
        chunk = customer_ids[start : start + step]
        customers = (
            Customer.objects.filter(pk__in=chunk)
            .order_by("pk")
            .select_for_update(no_key=True, of=("self",))
            .prefetch_related("related_persons")
        )
        rows = {c.pk: _customer_row(c) for c in customers}
        index.write_many(Kind.CUSTOMER, rows)
        for gone in set(chunk) - rows.keys():
            index.delete(Kind.CUSTOMER, gone)
        dossiers = Dossier.objects.filter(customer_id__in=chunk).select_related("customer")
        index.write_many(Kind.DOSSIER, {d.pk: _dossier_row(d) for d in dossiers})


@transaction.atomic
def index_dossier(dossier_id: int) -> None:
    _lock_customers_of(Dossier.objects.filter(pk=dossier_id))
    dossier = Dossier.objects.select_related("customer").filter(pk=dossier_id).first()
    if dossier is None:
        index.delete(Kind.DOSSIER, dossier_id)
        return
    index.write(Kind.DOSSIER, dossier.pk, **_dossier_row(dossier))


@transaction.atomic
def index_document(document_id: int) -> None:
    _lock_customers_of(Dossier.objects.filter(documents__pk=document_id))
    document = Document.objects.select_related("dossier__customer").filter(pk=document_id).first()
    if document is None:
        index.delete(Kind.DOCUMENT, document_id)
        return
    index.write(Kind.DOCUMENT, document.pk, **_document_row(document))


def _entry(kind: str, object_id: int, row: dict[str, str]) -> SearchEntry:
    return SearchEntry(
        kind=kind,
        object_id=object_id,
        name_tokens=row["names"],
        id_tokens=row["ids"],
        text_tokens=row["text"],
        owner_id=row["owner"],
        department_id=row["department"],
        dossier_id=row["dossier"],
    )


@transaction.atomic
def rebuild_index(batch: int = 2000) -> dict[str, int]:
    """Drop and recreate every index row in bulk; returns how many of each kind."""
    index.clear()
    counts = {Kind.CUSTOMER.value: 0, Kind.DOSSIER.value: 0, Kind.DOCUMENT.value: 0}
    rows: list[SearchEntry] = []

    def add(entry: SearchEntry) -> None:
        rows.append(entry)
        counts[entry.kind] += 1
        if len(rows) >= batch:
            index.bulk_write(rows)
            rows.clear()

    customers = Customer.objects.prefetch_related("related_persons").order_by("pk")
    for customer in customers.iterator(chunk_size=batch):
        add(_entry(Kind.CUSTOMER, customer.pk, _customer_row(customer)))
    for dossier in Dossier.objects.select_related("customer").order_by("pk").iterator(batch):
        add(_entry(Kind.DOSSIER, dossier.pk, _dossier_row(dossier)))
    documents = (
        Document.objects.select_related("dossier__customer")
        .order_by("pk")
        .only("pk", "title", "text", "dossier_id", *_DOCUMENT_SCOPE)
    )
    for document in documents.iterator(batch):
        add(_entry(Kind.DOCUMENT, document.pk, _document_row(document)))
    index.bulk_write(rows)
    index.finish_bulk()
    return counts


def search_run(*, actor: User, raw: str, filters: dict[str, Any]) -> selectors.SearchResult:
    """Run a search and record it in the audit trail (every search is, SPEC C7). The
    dossiers the query names exactly that the actor may discover but not read follow in
    a group of their own, "discoverable" (issue 27 §1; discover audits what it shows)."""
    audit_search(actor=actor, query=(raw or "").strip()[: selectors.MAX_QUERY], filters=filters)
    result = selectors.search(actor, raw, filters)
    if result.error:
        return result
    found = discover.discoverable(actor, raw, readable=result.readable_dossiers)
    if found:
        hits = [
            selectors.Hit(
                kind="discoverable",
                pk=d.pk,
                title=SafeString(html.escape(d.archive_number)),
                subtitle=SafeString(
                    html.escape(" · ".join(filter(None, [d.archive_type, d.department])))
                ),
                url=d.request_url,
                score=0,
                extra={
                    "archive_number": d.archive_number,
                    "archive_type": d.archive_type,
                    "department": d.department,
                    "request_url": d.request_url,
                },
            )
            for d in found
        ]
        label = str(_("可申请查阅的档案(他人客户,仅显示档号、类型与所属部门)"))
        result.groups.append(selectors.Group("discoverable", label, len(hits), hits))
    return result


@transaction.atomic
def index_dossiers(dossier_ids: list[int]) -> None:
    """Index many dossiers at once, as bulk services create them."""
    _lock_customers_of(Dossier.objects.filter(pk__in=dossier_ids))
    dossiers = Dossier.objects.filter(pk__in=dossier_ids).select_related("customer")
    index.write_many(Kind.DOSSIER, {d.pk: _dossier_row(d) for d in dossiers})


@transaction.atomic
def index_new_customers(customers: list[Customer]) -> None:
    """Index customers a bulk service has just created, from the objects in hand (a new
    customer has no related persons or dossiers yet), but for whose they are: that is
    read again, as it may have changed since (see _owners_locked)."""
    whose = _owners_locked([c.pk for c in customers])
    rows = {}
    for customer in customers:
        if customer.pk in whose:  # else deleted meanwhile: nothing to find
            row = rows[customer.pk] = _customer_row(customer, new=True)
            row["owner"], row["department"] = whose[customer.pk]
    index.write_many(Kind.CUSTOMER, rows)
