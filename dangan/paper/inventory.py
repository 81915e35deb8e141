"""Inventory rounds (盘点): start a round for a place or a list of dossiers, scan labels into
it (a USB scanner types the bare archive number, a phone reads the QR code), close it into
a report of found, missing, misplaced, on-loan and unknown, with a task for each
discrepancy and a report PDF whose SHA-256 the audit trail keeps.

Bad input changes nothing and is on the record: a label scanned twice, a label of another
installation, a destroyed dossier, a closed round (refusals_audited)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation.selectors import loans_open
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound
from dangan.locations import services as places
from dangan.locations.models import Location
from dangan.paper.labels import read_scan
from dangan.paper.lists import in_order
from dangan.paper.models import Discrepancy, InventoryRound, RoundItem, Scan

OUTCOMES = ("found", "missing", "misplaced", "on_loan", "unknown")
ROUND_LIMIT = 20000  # dossiers one round expects


def access_round(actor: User, pk: Any) -> InventoryRound:
    """A round, for the archive room's staff; one answer for missing and forbidden."""
    text = str(pk)
    found = InventoryRound.objects.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None or not policy.has_perm(actor, perms.DOSSIER_LOCATE):
        raise NotFound(_("盘点不存在"))
    return found


def _expected_for(actor: User, location: Location | None, ids: Sequence[Any]) -> list[Dossier]:
    visible = policy.dossiers_for(actor).exclude(status=Dossier.Status.DESTROYED)
    if location is not None:
        return list(visible.filter(location_node_id__in=places.subtree_ids(location)))
    wanted = set()
    for value in ids:
        text = str(value).strip()
        if not text.isdigit():
            raise ApplicationError(_("档案编号无效:%(v)s") % {"v": text[:20]}, field="dossiers")
        wanted.add(int(text))
    found = list(visible.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ApplicationError(_("有档案不存在或已销毁"), field="dossiers")
    return found


@transaction.atomic
def round_start(
    *,
    actor: User,
    location: Location | None = None,
    dossier_ids: Sequence[Any] = (),
    note: str = "",
) -> InventoryRound:
    """A new round over a place (and every place inside it) or a list of dossiers: the
    dossiers it should find are taken now."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    if (location is None) == (not dossier_ids):
        raise ApplicationError(_("请选择盘点的位置,或列出要盘点的档案"), field="location")
    expected = _expected_for(actor, location, dossier_ids)
    if len(expected) > ROUND_LIMIT:
        raise ApplicationError(
            _("一次盘点最多 %(n)s 份档案,请缩小范围") % {"n": ROUND_LIMIT}, field="location"
        )
    scope = (
        places.path_text(location)
        if location is not None
        else _("指定的 %(n)s 份档案") % {"n": len(expected)}
    )
    found = InventoryRound.objects.create(
        location=location, scope_text=scope[:250], note=str(note or "")[:200], started_by=actor
    )
    RoundItem.objects.bulk_create([RoundItem(round=found, dossier=d) for d in expected])
    audit_record(
        actor=actor,
        action="inventory_start",
        obj=found,
        detail={
            "scope": scope,
            "expected": len(expected),
            "location": getattr(location, "pk", None),
        },
    )
    return found


def _locked_open(found: InventoryRound) -> InventoryRound:
    found = InventoryRound.objects.select_for_update().get(pk=found.pk)
    if found.status != InventoryRound.Status.OPEN:
        raise InvalidTransition(
            _("本次盘点已于 %(t)s 结束,不能再更改")
            % {"t": timezone.localtime(found.closed_at).strftime("%Y-%m-%d %H:%M")}
        )
    return found


@dataclass
class ScanAnswer:
    outcome: str
    message: str
    dossier: Dossier | None
    counts: dict[str, int] = field(default_factory=dict)


@refusals_audited("inventory_scan", "inventory")
@transaction.atomic
def round_scan(*, actor: User, inventory: InventoryRound, text: str) -> ScanAnswer:
    """Record one scanned label: found (expected here), misplaced (a dossier of this
    archive that the round does not expect here), or unknown (no dossier of this archive
    that the actor may see has the number)."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    inventory = _locked_open(inventory)
    read = read_scan(text)
    number = read.archive_number
    if not number or len(number) > 64:
        raise ApplicationError(_("请扫描或输入档号"), field="text")
    if read.foreign:
        raise ApplicationError(
            _("“%(n)s”是另一套档案系统的标签,不属于本档案室") % {"n": number}, field="text"
        )
    earlier = Scan.objects.filter(round=inventory, archive_number=number).first()
    if earlier is not None:
        raise ApplicationError(
            _("档号 %(n)s 已于 %(t)s 扫描过,不重复计数")
            % {"n": number, "t": timezone.localtime(earlier.scanned_at).strftime("%H:%M:%S")},
            field="text",
        )
    dossier = policy.dossiers_for(actor).filter(archive_number=number).first()
    if dossier is not None and dossier.status == Dossier.Status.DESTROYED:
        raise ApplicationError(
            _("档号 %(n)s 的档案已销毁,不应在柜中:请取出交档案管理员核查") % {"n": number},
            field="text",
        )
    item = (
        RoundItem.objects.filter(round=inventory, dossier=dossier).first()
        if dossier is not None
        else None
    )
    now = timezone.now()
    if item is not None:
        item.found_at = now
        item.save(update_fields=["found_at"])
        outcome, message = Scan.Outcome.FOUND, _("在位:%(n)s") % {"n": number}
    elif dossier is not None:
        where = " › ".join(dossier.location_parts) or _("未登记")
        outcome = Scan.Outcome.MISPLACED
        message = _("错位:%(n)s 登记在 %(w)s") % {"n": number, "w": where}
    else:
        outcome, message = Scan.Outcome.UNKNOWN, _("未知标签:%(n)s") % {"n": number}
    Scan.objects.create(
        round=inventory,
        text=str(text)[:200],
        archive_number=number,
        dossier=dossier,
        outcome=outcome,
        scanned_by=actor,
    )
    audit_record(
        actor=actor,
        action="inventory_scan",
        obj=inventory,
        detail={"number": number, "outcome": str(outcome), "dossier": getattr(dossier, "pk", None)},
    )
    return ScanAnswer(str(outcome), message, dossier, counts=round_counts(inventory))


def round_counts(inventory: InventoryRound) -> dict[str, int]:
    return {key: len(items) for key, items in round_results(inventory).items()}


def round_results(inventory: InventoryRound) -> dict[str, list[Dossier | Scan]]:
    """What the round has seen so far (or saw, once closed): found and missing of the
    expected dossiers, those expected but out on loan, misplaced and unknown scans."""
    items = list(
        RoundItem.objects.filter(round=inventory).select_related("dossier", "dossier__customer")
    )
    out_on_loan = set(
        loans_open()
        .filter(dossier__in=[i.dossier_id for i in items])
        .values_list("dossier", flat=True)
    )
    found = [i.dossier for i in items if i.found_at is not None]
    absent = [i.dossier for i in items if i.found_at is None]
    on_loan = [d for d in absent if d.pk in out_on_loan or d.status == Dossier.Status.ON_LOAN]
    missing = [d for d in absent if d not in on_loan]
    scans = list(Scan.objects.filter(round=inventory).select_related("dossier").order_by("id"))
    results: dict[str, list[Dossier | Scan]] = {
        "found": [*in_order(found)],
        "missing": [*in_order(missing)],
        "misplaced": [s for s in scans if s.outcome == Scan.Outcome.MISPLACED],
        "on_loan": [*in_order(on_loan)],
        "unknown": [s for s in scans if s.outcome == Scan.Outcome.UNKNOWN],
    }
    return results


def result_payload(results: dict[str, list[Dossier | Scan]]) -> dict[str, Any]:
    """The API's shape: each outcome with its count and its items' id and archive number
    (an unknown label has no id)."""
    payload: dict[str, Any] = {}
    for key in OUTCOMES:
        rows = []
        for entry in results[key]:
            if isinstance(entry, Scan):
                rows.append({"id": entry.dossier_id, "archive_number": entry.archive_number})
            else:
                rows.append({"id": entry.pk, "archive_number": entry.archive_number})
        payload[key] = {"count": len(rows), "items": rows}
    return payload


@refusals_audited("inventory_close", "inventory")
@transaction.atomic
def round_close(*, actor: User, inventory: InventoryRound) -> InventoryRound:
    """End the round: its results are fixed, each discrepancy becomes a task, and the
    report is made once (its SHA-256 recorded in the audit trail)."""
    from dangan.paper.report import round_report_pdf

    policy.require(actor, perms.DOSSIER_LOCATE)
    inventory = _locked_open(inventory)
    results = round_results(inventory)
    tasks = [
        Discrepancy(round=inventory, kind="missing", dossier=d, text=d.archive_number)
        for d in results["missing"]
        if isinstance(d, Dossier)
    ]
    for entry in results["misplaced"] + results["unknown"]:
        if isinstance(entry, Scan):
            tasks.append(
                Discrepancy(
                    round=inventory,
                    kind=entry.outcome,
                    dossier=entry.dossier,
                    text=entry.archive_number,
                )
            )
    Discrepancy.objects.bulk_create(tasks)
    inventory.status = InventoryRound.Status.CLOSED
    inventory.closed_by = actor
    inventory.closed_at = timezone.now()
    inventory.result = result_payload(results)
    report = round_report_pdf(actor=actor, inventory=inventory, results=results)
    inventory.report = report
    inventory.report_sha256 = hashlib.sha256(report).hexdigest()
    inventory.save(
        update_fields=[
            "status",
            "closed_by",
            "closed_at",
            "result",
            "report",
            "report_sha256",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="inventory_close",
        obj=inventory,
        detail={
            "counts": {k: v["count"] for k, v in inventory.result.items()},
            "report_sha256": inventory.report_sha256,
            "tasks": len(tasks),
        },
    )
    return inventory


@refusals_audited("inventory_correct", "inventory")
@transaction.atomic
def round_correct(*, actor: User, inventory: InventoryRound, dossier_id: Any) -> Dossier:
    """One click on a misplaced dossier: its place becomes the round's (the bag stays where
    it was found), the move is kept, the task is resolved."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    inventory = InventoryRound.objects.select_for_update().get(pk=inventory.pk)
    if inventory.location is None:
        raise ApplicationError(_("按档案清单盘点时没有可更正到的位置"), field="dossier")
    text = str(dossier_id).strip()
    scan = (
        Scan.objects.filter(
            round=inventory, dossier_id=int(text), outcome=Scan.Outcome.MISPLACED
        ).first()
        if text.isdigit()
        else None
    )
    if scan is None or scan.dossier is None:
        raise ApplicationError(_("本次盘点没有这份错位的档案"), field="dossier")
    reason = _("盘点 %(n)s 发现于此,更正位置") % {"n": inventory.number}
    dossier = places.dossier_relocate(
        actor=actor, dossier=scan.dossier, location={"node": inventory.location_id}, reason=reason
    )
    now = timezone.now()
    Discrepancy.objects.filter(
        round=inventory, kind="misplaced", dossier=dossier, status="open"
    ).update(status="resolved", resolved_by=actor, resolved_at=now, resolution=reason)
    if inventory.status == InventoryRound.Status.OPEN:
        # Found where the round looks: from now on it counts as found. (A closed round's
        # results and report stay as they were; its task is resolved above.)
        RoundItem.objects.get_or_create(
            round=inventory, dossier=dossier, defaults={"found_at": now}
        )
        scan.outcome = Scan.Outcome.FOUND
        scan.save(update_fields=["outcome"])
    audit_record(
        actor=actor, action="inventory_correct", obj=inventory, detail={"dossier": dossier.pk}
    )
    return dossier


@refusals_audited("discrepancy_resolve", "inventory")
@transaction.atomic
def discrepancy_resolve(
    *, actor: User, inventory: InventoryRound, task_id: Any, resolution: str
) -> Discrepancy:
    """Close a task the round left (a missing bag found or reported lost, an unknown label
    identified, a misplaced bag put back by hand) with what was done. A misplaced bag whose
    place should become the round's is corrected with `round_correct` instead."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    text = str(task_id).strip()
    task = (
        Discrepancy.objects.select_for_update().filter(round=inventory, pk=int(text)).first()
        if text.isdigit()
        else None
    )
    if task is None:
        raise NotFound(_("本次盘点没有这项差异"))
    if (
        task.dossier_id is not None
        and not policy.dossiers_for(actor).filter(pk=task.dossier_id).exists()
    ):
        raise NotFound(_("本次盘点没有这项差异"))
    if task.status != Discrepancy.Status.OPEN:
        raise InvalidTransition(_("这项差异已处理:%(r)s") % {"r": task.resolution})
    note = " ".join(str(resolution or "").split())
    if not note:
        raise ApplicationError(_("请写明处理结果,例如“已在 05 柜找到并放回”"), field="resolution")
    if len(note) > 200:
        raise ApplicationError(_("处理结果最多 200 个字"), field="resolution")
    task.status = Discrepancy.Status.RESOLVED
    task.resolved_by, task.resolved_at, task.resolution = actor, timezone.now(), note
    task.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(
        actor=actor,
        action="discrepancy_resolve",
        obj=inventory,
        detail={"task": task.pk, "kind": task.kind, "text": task.text, "resolution": note},
    )
    return task


def task_out(task: Discrepancy) -> dict[str, Any]:
    return {
        "id": task.pk,
        "kind": task.kind,
        "dossier": task.dossier_id,
        "text": task.text,
        "status": task.status,
        "resolution": task.resolution,
        "resolved_at": task.resolved_at,
    }
