"""Business actions on hand-overs 移交 (issue 4 §1).

The workflow: the sender creates a batch (its transfer lists are snapshots of each
dossier's checklist), the receiver checks every line (present / missing / wrong), both
parties sign, each once. When the second signature lands, accepted dossiers change
custody and rejected ones stay with (return to) the sender with their findings.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, Role, User
from dangan.archives import numbering
from dangan.archives.checklist import dossier_checklist
from dangan.archives.models import ChecklistItem, Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.handover import selectors
from dangan.handover.models import Custody, Handover, HandoverItem, HandoverLine
from dangan.handover.slip import slip_pdf

NUMBER_RULE = "YJ-{year}-{seq:4}"
OTHER_CODE = "_OTHER"
PARTIES = ("sender", "receiver")


class AlreadyInBatch(ApplicationError):
    """A dossier is already travelling in another open batch."""

    status_code = 409


# --- the transfer list 移交清单 -------------------------------------------------------


def _document_entry(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.pk,
        "piece": doc.piece_number,
        "title": doc.title,
        "carrier": doc.carrier,
        "files": [
            {"id": a.pk, "name": a.original_name, "sha256": a.blob_id, "size": a.blob.size}
            for a in doc.attachments.all()
        ],
    }


def transfer_list(
    dossier: Dossier, document_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """The lines of a dossier's transfer list: every applicable checklist item that is
    required or on file, with its valid documents and their files' SHA-256.

    With `document_ids` (a hand-over of copies) only the lines holding those documents,
    and only those documents, are listed."""
    chosen = set(document_ids) if document_ids is not None else None
    checklist = dossier_checklist(dossier)
    lines: list[dict[str, Any]] = []

    def keep(docs: Iterable[Document]) -> list[Document]:
        valid = [d for d in docs if d.state == Document.State.VALID]
        return [d for d in valid if chosen is None or d.pk in chosen]

    for row in checklist.rows:
        docs = keep(row.documents)
        if chosen is not None and not docs:
            continue
        if chosen is None and not (row.applicable and (row.required or docs)):
            continue
        lines.append(
            {
                "code": row.item.code,
                "name": row.item.name,
                "required": row.required,
                "copies": row.item.copies,
                "present": bool(docs),
                "documents": [_document_entry(d) for d in docs],
            }
        )
    others = keep(checklist.other_documents)
    if others:
        lines.append(
            {
                "code": OTHER_CODE,
                "name": str(_("其他文件")),
                "required": False,
                "copies": 1,
                "present": True,
                "documents": [_document_entry(d) for d in others],
            }
        )
    return lines


def _digest(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def batch_totals(items: Sequence[HandoverItem]) -> dict[str, Any]:
    """STANDARDS 12: item count, byte count and a hash over every transfer list."""
    documents = [doc for item in items for line in item.checklist for doc in line["documents"]]
    files = [f for doc in documents for f in doc["files"]]
    return {
        "dossiers": len(items),
        "lines": sum(len(item.checklist) for item in items),
        "documents": len(documents),
        "files": len(files),
        "bytes": sum(int(f["size"]) for f in files),
        "digest": _digest(
            [
                [item.dossier_id, item.checklist]
                for item in sorted(items, key=lambda i: i.dossier_id)
            ]
        ),
    }


# --- creating a batch ---------------------------------------------------------------


def _check_receiver(actor: User, to_user: User | None, to_department: Department | None) -> None:
    if (to_user is None) == (to_department is None):
        raise ApplicationError(_("请指定接收人或接收部门(二选一)"), field="to_user")
    if to_user is not None and not to_user.is_active:
        raise ApplicationError(_("接收人账号已停用"), field="to_user")
    if to_user is not None and to_user.pk == actor.pk:
        raise ApplicationError(_("不能移交给自己"), field="to_user")
    if to_user is not None and not policy.may_hold(to_user, policy.RECEIVER):
        raise ApplicationError(_("该用户的角色不能接收档案移交"), field="to_user")


def _lock_dossiers(ids: Sequence[int]) -> list[Dossier]:
    dossiers = list(
        Dossier.objects.select_for_update(of=("self",))
        .select_related("customer", "archive_type")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    open_items = (
        HandoverItem.objects.select_for_update(of=("self",))
        .filter(dossier_id__in=ids, is_open=True)
        .select_related("handover", "dossier")
        .order_by("dossier_id")
    )
    clash = open_items.first()
    if clash is not None:
        raise AlreadyInBatch(
            _("档案 %(n)s 已在移交单 %(b)s 中,该移交单尚未完成")
            % {"n": clash.dossier.archive_number, "b": clash.handover.number},
            field="dossiers",
        )
    for dossier in dossiers:
        if dossier.status == Dossier.Status.DESTROYED:
            raise ApplicationError(
                _("档案 %(n)s 已销毁,不能移交") % {"n": dossier.archive_number}, field="dossiers"
            )
    return dossiers


def _make_batch(
    *,
    actor: User,
    from_user: User,
    dossiers: Sequence[Dossier],
    to_user: User | None,
    to_department: Department | None,
    kind: str,
    note: str,
    document_ids: Sequence[int] | None = None,
) -> Handover:
    today = timezone.localdate()
    handover = Handover(
        number=numbering.allocate(NUMBER_RULE, numbering.NumberContext(code="YJ", date=today)),
        kind=kind,
        from_user=from_user,
        from_department=from_user.department,
        to_user=to_user,
        to_department=to_department,
        note=note.strip()[:500],
        created_by=actor,
    )
    handover.save(force_insert=True)
    items = []
    for dossier in dossiers:
        lines = transfer_list(dossier, document_ids)
        if document_ids is not None and not lines:
            continue
        item = HandoverItem.objects.create(
            handover=handover,
            dossier=dossier,
            item_count=len(lines),
            document_count=sum(len(line["documents"]) for line in lines),
            checklist=lines,
        )
        HandoverLine.objects.bulk_create(
            HandoverLine(item=item, code=line["code"], name=line["name"], position=i)
            for i, line in enumerate(lines, start=1)
        )
        items.append(item)
    if not items:
        raise ApplicationError(_("所选文件不属于所选档案"), field="documents")
    handover.totals = batch_totals(items)
    handover.save(update_fields=["totals"])
    audit_record(
        actor=actor,
        action="create",
        obj=handover,
        detail={
            "kind": kind,
            "from_user": from_user.pk,
            "to_user": to_user.pk if to_user else None,
            "to_department": to_department.pk if to_department else None,
            "dossiers": [item.dossier_id for item in items],
            "documents": list(document_ids) if document_ids is not None else None,
            "totals": handover.totals,
        },
    )
    return handover


@transaction.atomic
def handover_create(
    *,
    actor: User,
    dossier_ids: Sequence[int],
    to_user: User | None = None,
    to_department: Department | None = None,
    kind: str = Handover.Kind.TRANSFER,
    note: str = "",
    document_ids: Sequence[int] | None = None,
) -> Handover:
    """Open a batch from the actor to a person or a department.

    Every dossier must be one the actor may see and in no other open batch (the dossier
    rows and their open items are locked, so two batches cannot take the same bag).
    For `kind="copies"`, `document_ids` names the documents whose copies leave."""
    policy.require(actor, perms.HANDOVER_SEND)
    if kind not in (Handover.Kind.TRANSFER, Handover.Kind.COPIES):
        raise ApplicationError(_("移交类型无效(离职交接请使用离职交接功能)"), field="kind")
    _check_receiver(actor, to_user, to_department)
    ids = sorted({int(pk) for pk in dossier_ids})
    if not ids:
        raise ApplicationError(_("请选择要移交的档案"), field="dossiers")
    visible = set(policy.dossiers_for(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in visible]:
        raise NotFound(
            _("档案不存在或您无权查看:%(ids)s") % {"ids": ", ".join(map(str, missing))},
            field="dossiers",
        )
    if kind == Handover.Kind.COPIES:
        if not document_ids:
            raise ApplicationError(_("复印件移交须选择文件"), field="documents")
        chosen = sorted({int(pk) for pk in document_ids})
        found = Document.objects.filter(pk__in=chosen, dossier_id__in=ids).count()
        if found != len(chosen):
            raise ApplicationError(_("所选文件不属于所选档案"), field="documents")
        document_ids = chosen
    else:
        document_ids = None
    dossiers = _lock_dossiers(ids)
    return _make_batch(
        actor=actor,
        from_user=actor,
        dossiers=dossiers,
        to_user=to_user,
        to_department=to_department,
        kind=kind,
        note=note,
        document_ids=document_ids,
    )


# --- verifying ---------------------------------------------------------------------


def _lock(handover: Handover) -> Handover:
    return (
        Handover.objects.select_for_update(of=("self",))
        .select_related("from_user", "to_user", "to_department")
        .get(pk=handover.pk)
    )


def _require_open(handover: Handover) -> None:
    if not handover.is_open:
        raise InvalidTransition(
            _("移交单 %(n)s 已%(s)s,不能再修改")
            % {"n": handover.number, "s": handover.get_status_display()}
        )


def _move(handover: Handover, target: str) -> None:
    if target not in Handover.TRANSITIONS[handover.status]:
        raise InvalidTransition(
            _("移交单不能从“%(a)s”变为“%(b)s”")
            % {"a": handover.get_status_display(), "b": Handover.Status(target).label}
        )
    handover.status = target


def _record_finding(
    *, actor: User, handover: Handover, item: HandoverItem, line: HandoverLine
) -> None:
    """A missing or wrong line is a non-conformity (不合格) of the sender's.

    The findings register lives in dangan.intake; until it is installed, nothing more is
    recorded than the line itself and its audit entry."""
    try:
        intake = importlib.import_module("dangan.intake.services")
    except ModuleNotFoundError as exc:
        if exc.name not in ("dangan.intake", "dangan.intake.services"):
            raise
        return
    checklist_item = ChecklistItem.objects.filter(
        archive_type_id=item.dossier.archive_type_id, code=line.code
    ).first()
    document = None
    if line.result == HandoverLine.Result.WRONG:
        listed = next((entry for entry in item.checklist if entry["code"] == line.code), None)
        ids = [doc["id"] for doc in (listed or {}).get("documents", [])]
        document = Document.objects.filter(pk__in=ids).order_by("piece_number").first()
    detail = f"{handover.number} {line.name}" + (f":{line.note}" if line.note else "")
    intake.finding_record(
        actor=actor,
        dossier=item.dossier,
        kind=line.result,
        rule="移交清单核对",
        detail=detail,
        document=document,
        checklist_item=checklist_item,
        responsible=handover.from_user,
        handover=handover,
    )


def _settle_item(item: HandoverItem, lines: Sequence[HandoverLine]) -> None:
    if any(not line.result for line in lines):
        item.status = HandoverItem.Status.PENDING
    elif all(line.result == HandoverLine.Result.PRESENT for line in lines):
        item.status = HandoverItem.Status.ACCEPTED
    else:
        item.status = HandoverItem.Status.REJECTED


Results = Mapping[Any, Mapping[str, tuple[str, str]]]


def _with_rest_present(
    items: Mapping[int, HandoverItem], results: Results, all_present: Collection[Any] | bool
) -> Results:
    """`results` and, for the items of `all_present` (ids, or True for all), each line
    with no result yet and none given, as present."""
    if isinstance(all_present, bool):
        wanted = list(items) if all_present else []
    else:
        wanted = []
        for raw_id in all_present:
            if not str(raw_id).isdigit() or int(raw_id) not in items:
                raise ApplicationError(
                    _("移交单中没有该档案:%(i)s") % {"i": raw_id}, field="all_present"
                )
            wanted.append(int(raw_id))
    merged: dict[Any, dict[str, tuple[str, str]]] = {
        int(k) if str(k).isdigit() else k: dict(v) for k, v in results.items()
    }
    if not wanted:
        return results
    unchecked = HandoverLine.objects.filter(item_id__in=wanted, result="")
    for item_id, code in unchecked.values_list("item_id", "code"):
        merged.setdefault(item_id, {}).setdefault(code, (HandoverLine.Result.PRESENT, ""))
    return {k: v for k, v in merged.items() if v}


@refusals_audited("verify", "handover")
@transaction.atomic
def handover_verify(
    *,
    actor: User,
    handover: Handover,
    results: Results,
    all_present: Collection[Any] | bool = (),
) -> Handover:
    """The receiver checks lines: `{item_id: {line_code: (result, note)}}`.

    `all_present` ("全部齐全"): the items (ids), or True for every item of the batch, whose
    lines not yet checked, and not given in `results`, are checked present in the same
    call (one click per bag or per batch instead of one per line); lines already found
    missing or wrong stay as they are. Recorded in the same audit entry as the rest.

    Only the receiver (the named user, or a member of the receiving department with the
    receive permission) checks, never the sender; a dossier the receiver may not see is
    not found. Lines may be checked again until the receiver has signed."""
    handover = _lock(handover)
    if not selectors.is_receiver(actor, handover) or actor.pk == handover.from_user_id:
        raise Forbidden(_("只有接收方可以核对该移交单"))
    _require_open(handover)
    if handover.receiver_signed_at is not None:
        raise InvalidTransition(_("接收方已签字,核对结果不能再修改"))
    items = {
        item.pk: item
        for item in handover.items.select_for_update(of=("self",)).select_related(
            "dossier__archive_type"
        )
    }
    results = _with_rest_present(items, results, all_present)
    if not results and all_present:
        raise ApplicationError(_("没有待核对的项"), field="all_present")
    if not results:
        raise ApplicationError(_("请填写核对结果"), field="results")
    now = timezone.now()
    changes: dict[str, dict[str, str]] = {}
    for raw_id, by_code in results.items():
        try:
            item = items[int(raw_id)]
        except (KeyError, TypeError, ValueError):
            raise ApplicationError(
                _("移交单中没有该档案:%(i)s") % {"i": raw_id}, field="results"
            ) from None
        policy.access_dossier(actor, item.dossier_id)  # NotFound for what the receiver can't see
        lines = list(item.lines.select_for_update(of=("self",)).order_by("position", "id"))
        by_line = {line.code: line for line in lines}
        for code, (result, note) in by_code.items():
            line = by_line.get(code)
            if line is None:
                raise ApplicationError(_("移交清单中没有该项:%(c)s") % {"c": code}, field="results")
            if result not in HandoverLine.Result.values:
                raise ApplicationError(_("核对结果应为 present、missing 或 wrong"), field="results")
            note = (note or "").strip()[:500]
            if (line.result, line.note) == (result, note):
                continue
            newly_bad = result != HandoverLine.Result.PRESENT and line.result != result
            line.result, line.note = result, note
            line.checked_by, line.checked_at = actor, now
            line.save(update_fields=["result", "note", "checked_by", "checked_at"])
            changes.setdefault(item.dossier.archive_number, {})[code] = result
            if newly_bad:
                _record_finding(actor=actor, handover=handover, item=item, line=line)
        _settle_item(item, lines)
        item.save(update_fields=["status"])
    _move(handover, Handover.Status.VERIFYING)
    handover.save(update_fields=["status"])
    audit_record(actor=actor, action="verify", obj=handover, detail={"lines": changes})
    return handover


# --- signing -----------------------------------------------------------------------


@refusals_audited("sign", "handover")
@transaction.atomic
def handover_sign(*, actor: User, handover: Handover, as_party: str) -> Handover:
    """One signature: the sender's or the receiver's, each once, by that party only.

    The receiver signs after every line is checked, and not for a batch they sent.
    The second signature closes the batch (see _close)."""
    if as_party not in PARTIES:
        raise ApplicationError(_("签字方应为 sender 或 receiver"), field="as_party")
    handover = _lock(handover)
    _require_open(handover)
    now = timezone.now()
    if as_party == "sender":
        if not selectors.is_sender(actor, handover):
            raise Forbidden(_("只有移交人可以以移交方身份签字"))
        if handover.sender_signed_at is not None:
            raise InvalidTransition(_("移交方已签字,不能重复签字"))
        if handover.receiver_signed_by_id == actor.pk:
            raise InvalidTransition(_("同一人不能同时以双方身份签字"))
        handover.sender_signed_at, handover.sender_signed_by = now, actor
        fields = ["sender_signed_at", "sender_signed_by"]
    else:
        if not selectors.is_receiver(actor, handover) or actor.pk == handover.from_user_id:
            raise Forbidden(_("只有接收方可以以接收方身份签字"))
        if handover.receiver_signed_at is not None:
            raise InvalidTransition(_("接收方已签字,不能重复签字"))
        if handover.sender_signed_by_id == actor.pk:
            raise InvalidTransition(_("同一人不能同时以双方身份签字"))
        items = list(handover.items.all())
        pending = [item for item in items if item.status == HandoverItem.Status.PENDING]
        if pending:
            raise ApplicationError(
                _("尚有 %(n)s 卷档案未核对完,不能签收") % {"n": len(pending)}, field="results"
            )
        # STANDARDS 12: the transfer lists must still add up to what the batch was made with.
        if batch_totals(items) != handover.totals:
            raise ApplicationError(_("移交清单合计与移交单不符,拒收"), field="totals")
        handover.receiver_signed_at, handover.receiver_signed_by = now, actor
        fields = ["receiver_signed_at", "receiver_signed_by"]
    handover.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="sign",
        obj=handover,
        detail={"as": as_party, "at": now.isoformat()},
    )
    if handover.sender_signed_at is not None and handover.receiver_signed_at is not None:
        _close(actor=actor, handover=handover)
    return handover


def _close(*, actor: User, handover: Handover) -> None:
    """Both signed: accepted dossiers change custody (a copies hand-over never moves the
    originals); rejected ones stay with the sender. Called inside handover_sign."""
    now = timezone.now()
    items = list(
        handover.items.select_for_update(of=("self",))
        .select_related("dossier")
        .prefetch_related("lines")
    )
    accepted = [item for item in items if item.status == HandoverItem.Status.ACCEPTED]
    rejected = [item for item in items if item.status == HandoverItem.Status.REJECTED]
    moves_custody = handover.kind != Handover.Kind.COPIES
    department = handover.to_department
    if department is None and handover.to_user is not None:
        department = handover.to_user.department
    for item in accepted:
        if not moves_custody:
            continue
        Custody.objects.update_or_create(
            dossier=item.dossier,
            defaults={
                "user": handover.to_user,
                "department": department,
                "since": now,
                "handover": handover,
            },
        )
        audit_record(
            actor=actor,
            action="custody",
            obj=item.dossier,
            detail={"handover": handover.number, "to": handover.receiver_label},
        )
    HandoverItem.objects.filter(handover=handover).update(is_open=False)
    lines = [line for item in items for line in item.lines.all()]
    handover.received_totals = {
        "accepted": len(accepted),
        "rejected": len(rejected),
        "present": sum(1 for line in lines if line.result == HandoverLine.Result.PRESENT),
        "missing": sum(1 for line in lines if line.result == HandoverLine.Result.MISSING),
        "wrong": sum(1 for line in lines if line.result == HandoverLine.Result.WRONG),
        "documents": sum(item.document_count for item in accepted),
    }
    _move(handover, Handover.Status.SIGNED if accepted else Handover.Status.RETURNED)
    handover.closed_at = now
    handover.save(update_fields=["status", "closed_at", "received_totals"])
    audit_record(
        actor=actor,
        action="complete",
        obj=handover,
        detail={
            "status": handover.status,
            "accepted": [item.dossier_id for item in accepted],
            "returned": [item.dossier_id for item in rejected],
            "totals": handover.totals,
            "received": handover.received_totals,
        },
    )


# --- an employee leaves ------------------------------------------------------------


@dataclass
class Departure:
    customers: list[int] = field(default_factory=list)
    reassigned: list[str] = field(default_factory=list)
    handover: Handover | None = None


def _require_reach(actor: User, user: User, name: str) -> None:
    if policy.data_scope(actor) == Role.Scope.ALL:
        return
    if actor.department_id is None or user.department_id != actor.department_id:
        raise Forbidden(_("只能办理本部门人员的交接"), field=name)


@transaction.atomic
def handover_departure(*, actor: User, from_user: User, to_user: User, note: str = "") -> Departure:
    """A leaving employee's customers and open hand-overs go to the successor at once.

    The customers change owner now; the paper bags of their dossiers travel in one
    departure batch, checked and signed like any other (the manager may sign for the
    leaver). Open batches the leaver sent or was to receive are redirected."""
    policy.require(actor, perms.HANDOVER_MANAGE)
    if from_user.pk == to_user.pk:
        raise ApplicationError(_("接替人不能是离职人员本人"), field="to_user")
    if not to_user.is_active:
        raise ApplicationError(_("接替人账号已停用"), field="to_user")
    if not policy.may_hold(to_user, policy.OWNER):
        raise ApplicationError(_("接替人的角色不能负责客户"), field="to_user")
    _require_reach(actor, from_user, "from_user")
    _require_reach(actor, to_user, "to_user")
    customers = list(
        Customer.objects.select_for_update(of=("self",)).filter(owner=from_user).order_by("pk")
    )
    visible = set(
        policy.customers_for(actor)
        .filter(pk__in=[c.pk for c in customers])
        .values_list("pk", flat=True)
    )
    if len(visible) != len(customers):
        raise Forbidden(_("离职人员的部分客户不在您的管理范围内"), field="from_user")
    result = Departure(customers=[c.pk for c in customers])

    open_batches = Handover.objects.select_for_update(of=("self",)).filter(
        Q(from_user=from_user) | Q(to_user=from_user), status__in=Handover.OPEN
    )
    for batch in open_batches:
        if batch.from_user_id == from_user.pk:
            batch.from_user, batch.sender_signed_at, batch.sender_signed_by = to_user, None, None
        if batch.to_user_id == from_user.pk:
            batch.to_user = to_user
        batch.save(update_fields=["from_user", "to_user", "sender_signed_at", "sender_signed_by"])
        result.reassigned.append(batch.number)

    dossier_ids = list(
        Dossier.objects.filter(customer__in=customers)
        .exclude(status=Dossier.Status.DESTROYED)
        .exclude(handover_items__is_open=True)
        .values_list("pk", flat=True)
    )
    if not customers and not result.reassigned:
        raise ApplicationError(_("该人员名下没有客户或未完成的移交"), field="from_user")
    if dossier_ids:
        result.handover = _make_batch(
            actor=actor,
            from_user=from_user,
            dossiers=_lock_dossiers(dossier_ids),
            to_user=to_user,
            to_department=None,
            kind=Handover.Kind.DEPARTURE,
            note=note or str(_("离职交接")),
        )
    # The customers take the successor's department too: otherwise the successor's
    # manager could not see them (their scope is the department) while the leaver's old
    # manager still could. Search entries follow through search 0003's trigger.
    for customer in customers:
        customer.owner = to_user
        if to_user.department_id is not None:
            customer.department_id = to_user.department_id
        customer.save(update_fields=["owner", "department", "updated_at"])
    audit_record(
        actor=actor,
        action="departure",
        obj=from_user,
        detail={
            "from_user": from_user.pk,
            "to_user": to_user.pk,
            "customers": result.customers,
            "reassigned": result.reassigned,
            "handover": result.handover.number if result.handover else None,
        },
    )
    return result


def slip_print(*, actor: User, handover: Handover) -> bytes:
    """The hand-over slip (移交单) of a batch the actor may see, as a PDF with their
    watermark; printing it is on the record."""
    content = slip_pdf(handover, printed_by=actor, at=timezone.now())
    audit_record(actor=actor, action="print", obj=handover, detail={"what": "移交单"})
    return content
