"""The life of a destruction list: propose → appraise (two parties) → approve (the
configured chain) → hold → destroy (under a supervisor) → register. One service per step;
each checks its actor, moves the dossiers through the transition table (channel
"disposal") and writes the audit trail in its transaction. Refused steps are audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import numbering
from dangan.archives.lifecycle import Channel, dossier_transition
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.display import retention_label
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.disposal import approval, retention
from dangan.disposal.erasure import ERASED, erase_dossier, mask_name, masked_title, remove_scans
from dangan.disposal.models import (
    Appraisal,
    DisposalItem,
    DisposalList,
    DisposalRule,
    Extension,
    RegisterEntry,
)
from dangan.rules.schema import DisposalSpec

NUMBER_RULE = "XH-{year}-{seq:4}"
Decision = DisposalItem.Decision
Party = Appraisal.Party
OPEN = (DisposalList.Status.APPRAISAL, DisposalList.Status.APPROVAL, DisposalList.Status.HOLD)
METHODS = ("粉碎", "焚毁", "化浆", "电子删除")


def _dossiers_for_list(actor: User, ids: Sequence[int], kind: str) -> list[Dossier]:
    from dangan.disposal.holds import held_customers

    found = []
    today = timezone.localdate()
    held = held_customers(
        set(
            Dossier.objects.filter(pk__in=[p for p in ids if str(p).isdigit()])
            .exclude(customer__isnull=True)
            .values_list("customer_id", flat=True)
        )
    )
    for pk in dict.fromkeys(ids):
        dossier = policy.access_dossier(actor, pk)
        label = dossier.archive_number
        if DisposalItem.objects.filter(dossier=dossier, disposal_list__status__in=OPEN).exists():
            raise InvalidTransition(
                _("%(n)s 已在另一份未完成的销毁清单中") % {"n": label}, field="dossiers"
            )
        if dossier.status == Dossier.Status.LEGAL_HOLD or (
            dossier.customer_id is not None and dossier.customer_id in held
        ):
            raise InvalidTransition(_("%(n)s 已冻结,不能销毁") % {"n": label}, field="dossiers")
        if dossier.status == Dossier.Status.ON_LOAN:
            raise InvalidTransition(
                _("%(n)s 已借出,不能列入销毁清单") % {"n": label}, field="dossiers"
            )
        if _open_change_request(dossier):
            raise InvalidTransition(
                _("%(n)s 有待审批的修改申请,不能列入销毁清单") % {"n": label}, field="dossiers"
            )
        if kind == DisposalList.Kind.EXPIRED:
            code = dossier.retention or dossier.archive_type.retention
            if retention.years_of(code) is None:
                raise ApplicationError(
                    _("%(n)s 为永久保管,不能销毁") % {"n": label}, field="dossiers"
                )
            ends = retention.expires_on(dossier)
            if ends is None or ends >= today:
                raise ApplicationError(
                    _("%(n)s 保管期限未满(%(date)s)")
                    % {"n": label, "date": ends.isoformat() if ends else _("尚未起算")},
                    field="dossiers",
                )
            _check_longer_kept(dossier, today)
        found.append(dossier)
    return found


def _check_longer_kept(dossier: Dossier, today: datetime.date) -> None:
    """A document kept longer than its dossier (its own retention permanent, or not yet
    ended) keeps the whole dossier off an expiry list."""
    from dangan.documents.models import Document

    documents = (
        Document.objects.filter(dossier=dossier)
        .exclude(state=Document.State.DESTROYED)
        .exclude(checklist_item__retention="")
        .select_related("checklist_item")
    )
    for document in documents:
        ends = retention.document_expires_on(document)
        if ends is None or ends >= today:
            raise ApplicationError(
                _("%(n)s 的第 %(p)s 件“%(t)s”单独保管(%(r)s),尚未期满")
                % {
                    "n": dossier.archive_number,
                    "p": document.piece_number,
                    "t": document.title,
                    "r": retention.describe_document(document),
                },
                field="dossiers",
            )


def _documents_for_list(actor: User, ids: Sequence[int], kind: str) -> list[Any]:
    """The documents (件) of a list: in the actor's scope, with a retention of their own
    that has ended (for an expiry list), and free to go (not frozen, not out on loan, not
    on another open list, their dossier not listed whole)."""
    from dangan.disposal.holds import held_customers
    from dangan.documents.models import Document

    found: list[Any] = []
    today = timezone.localdate()
    for pk in dict.fromkeys(ids):
        document = (
            Document.objects.select_related("checklist_item", "dossier__archive_type")
            .filter(pk=pk)
            .first()
        )
        if document is None:
            raise NotFound(_("记录不存在或您无权查看"), field="documents")
        dossier = policy.access_dossier(actor, document.dossier_id)
        label = _piece_label(dossier, document)
        if document.state == Document.State.DESTROYED:
            raise InvalidTransition(_("%(n)s 已销毁") % {"n": label}, field="documents")
        on_lists = DisposalItem.objects.filter(disposal_list__status__in=OPEN)
        if (
            on_lists.filter(document=document).exists()
            or on_lists.filter(dossier=dossier, document__isnull=True).exists()
        ):
            raise InvalidTransition(
                _("%(n)s 已在另一份未完成的销毁清单中") % {"n": label}, field="documents"
            )
        _check_document_free(dossier, label, held_customers, field="documents")
        if kind == DisposalList.Kind.EXPIRED:
            code = retention.document_code(document)
            if not code:
                raise ApplicationError(
                    _("%(n)s 随案卷保管,没有单独的保管期限;请将整卷列入清单") % {"n": label},
                    field="documents",
                )
            ends = retention.document_expires_on(document)
            if ends is None:
                raise ApplicationError(
                    _("%(n)s 为永久保管,不能销毁") % {"n": label}, field="documents"
                )
            if ends >= today:
                raise ApplicationError(
                    _("%(n)s 保管期限未满(%(date)s)") % {"n": label, "date": ends.isoformat()},
                    field="documents",
                )
        found.append(document)
    return found


def _check_document_free(dossier: Dossier, label: str, held_customers: Any, *, field: str) -> None:
    if dossier.status == Dossier.Status.LEGAL_HOLD or (
        dossier.customer_id is not None and held_customers({dossier.customer_id})
    ):
        raise InvalidTransition(_("%(n)s 已冻结,不能销毁") % {"n": label}, field=field)
    if dossier.status == Dossier.Status.ON_LOAN:
        raise InvalidTransition(_("%(n)s 已借出,不能销毁") % {"n": label}, field=field)
    if dossier.status in (Dossier.Status.DESTROYED, Dossier.Status.PENDING_DISPOSAL):
        raise InvalidTransition(
            _("%(n)s 所在案卷状态为“%(s)s”") % {"n": label, "s": dossier.get_status_display()},
            field=field,
        )


def _piece_label(dossier: Dossier, document: Any) -> str:
    """档号-件号, as the register and the lists name a single piece."""
    return f"{dossier.archive_number}-{document.piece_number:03d}"


def _open_change_request(dossier: Dossier) -> bool:
    """A change waiting for approval keeps the dossier off a destruction list."""
    from dangan.changes.models import ChangeRequest

    return ChangeRequest.objects.filter(
        dossier=dossier, status=ChangeRequest.Status.PENDING
    ).exists()


@refusals_audited("disposal_propose", "dossiers")
@transaction.atomic
def list_propose(
    *,
    actor: User,
    dossiers: Sequence[int] = (),
    documents: Sequence[int] = (),
    reason: str = "",
    kind: str = DisposalList.Kind.EXPIRED,
) -> DisposalList:
    """The archivist lists expired dossiers, and documents whose own retention has ended
    (or, for a deletion request, a customer's dossiers before their time, with a reason),
    for appraisal. A listed dossier goes to 鉴定中; a listed document's dossier stays as it is."""
    policy.require(actor, perms.DISPOSAL_PROPOSE)
    if kind not in DisposalList.Kind.values:
        raise ApplicationError(_("清单类型无效"), field="kind")
    if not dossiers and not documents:
        raise ApplicationError(_("请选择至少一卷档案或一件文件"), field="dossiers")
    reason = reason.strip()
    if kind == DisposalList.Kind.DELETION and not reason:
        raise ApplicationError(_("提前删除须说明理由"), field="reason")
    chosen = _dossiers_for_list(actor, dossiers, kind)
    pieces = _documents_for_list(actor, documents, kind)
    whole = {dossier.pk for dossier in chosen}
    for document in pieces:
        if document.dossier_id in whole:
            raise ApplicationError(
                _("%(n)s 所在案卷已整卷列入本清单")
                % {"n": _piece_label(document.dossier, document)},
                field="documents",
            )
    today = timezone.localdate()
    found = DisposalList.objects.create(
        number=numbering.allocate(NUMBER_RULE, numbering.NumberContext(code="XH", date=today)),
        kind=kind,
        reason=reason[:2000],
        proposer=actor,
    )
    for dossier in chosen:
        DisposalItem.objects.create(
            disposal_list=found,
            dossier=dossier,
            prior_status=dossier.status,
            expires=retention.expires_on(dossier),
        )
        dossier_transition(
            actor=actor,
            dossier=dossier,
            to=Dossier.Status.APPRAISAL,
            reason=str(_("列入销毁清单 %(n)s") % {"n": found.number}),
            channel=Channel.DISPOSAL,
        )
    for document in pieces:
        DisposalItem.objects.create(
            disposal_list=found,
            dossier=document.dossier,
            document=document,
            prior_status=document.dossier.status,
            expires=retention.document_expires_on(document),
        )
    audit_record(
        actor=actor,
        action="disposal_propose",
        obj=found,
        detail={
            "kind": kind,
            "dossiers": [d.pk for d in chosen],
            "documents": [d.pk for d in pieces],
            "reason": found.reason,
        },
    )
    return found


def may_take_part(actor: User) -> bool:
    """Lists are seen by those who take part: the archive room, the business departments'
    managers, the approvers, the supervisors and the register's readers."""
    codes = {perms.DISPOSAL_PROPOSE, perms.DISPOSAL_SUPERVISE, perms.DISPOSAL_REGISTER}
    roles = {role.code for role in policy.roles_of(actor)}
    if policy.permissions_of(actor) & codes or "dept_manager" in roles:
        return True
    return bool(roles & approval.approver_roles())


def access_list(actor: User, list_id: Any) -> DisposalList:
    if not may_take_part(actor):
        raise NotFound(_("记录不存在或您无权查看"))
    try:
        key = int(list_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    found = DisposalList.objects.filter(pk=key).first()
    if found is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return found


def _lock(actor: User, list_id: Any) -> DisposalList:
    found = access_list(actor, list_id)
    return DisposalList.objects.select_for_update().get(pk=found.pk)


def _department_of(item: DisposalItem) -> int | None:
    dossier = item.dossier
    customer = dossier.customer
    return customer.department_id if customer is not None else dossier.department_id


def parties_of(actor: User, item: DisposalItem) -> list[str]:
    """Which appraisal parties the actor may sign for on this item. The business side is
    the owning department's manager; where that department has none (or the file has no
    department), the director signs for it, so that a list never waits for nobody."""
    return parties_by_item(actor, [item])[item.pk]


def parties_by_item(actor: User, items: Iterable[DisposalItem]) -> dict[int, list[str]]:
    """parties_of of each item, by its id, asking for the appraisers once per department
    (not per item), and not at all of one who is neither a manager nor a director."""
    archive = [Party.ARCHIVE] if policy.has_perm(actor, perms.DISPOSAL_PROPOSE) else []
    offices = {role.code for role in policy.roles_of(actor)}
    may_appraise = bool(offices & set(APPRAISER_ROLES))
    signs: dict[int | None, bool] = {}
    found: dict[int, list[str]] = {}
    for item in items:
        department = _department_of(item)
        if department not in signs:
            signs[department] = may_appraise and actor in business_appraisers(department)
        found[item.pk] = [*archive, Party.BUSINESS] if signs[department] else list(archive)
    return found


# The offices that appraise for the business side (business_appraisers): the file's
# department's manager, else the director.
APPRAISER_ROLES = ("dept_manager", "director")


def business_appraisers(department: int | None) -> list[User]:
    """Who signs for the business department on a file of this department: its managers,
    else the directors."""
    manager, director = APPRAISER_ROLES
    if department is not None:
        managers = list(policy.office_holders(manager, department))
        if managers:
            return managers
    return list(policy.office_holders(director, None))


@refusals_audited("disposal_appraise", "list_id")
@transaction.atomic
def list_appraise(
    *,
    actor: User,
    list_id: Any,
    decision: str,
    note: str = "",
    items: Sequence[int] | None = None,
    years: int | None = None,
    party: str = "",
) -> DisposalList:
    """One party's appraisal (鉴定) of the list's items (all of them when `items` is not
    given): destroy, keep, or extend by `years` with a reason. When both parties have
    appraised every item, the list goes on to approval (or ends, if nothing is to go)."""
    found = _lock(actor, list_id)
    if found.status != DisposalList.Status.APPRAISAL:
        raise InvalidTransition(_("清单已不在鉴定阶段"), field="decision")
    if decision not in (Decision.DESTROY, Decision.KEEP, Decision.EXTEND):
        raise ApplicationError(_("鉴定结论应为 destroy、keep 或 extend"), field="decision")
    note = note.strip()
    if decision == Decision.EXTEND:
        if years is None or not 1 <= years <= 50:
            raise ApplicationError(_("延长年限应为 1–50 年"), field="years")
        if not note:
            raise ApplicationError(_("延长保管须说明理由"), field="note")
    chosen = list(found.items.select_related("dossier__customer"))
    if items is not None:
        wanted = set(items)
        chosen = [item for item in chosen if item.pk in wanted or item.dossier_id in wanted]
        if not chosen:
            raise ApplicationError(_("所选条目不在该清单中"), field="items")
    signed = 0
    parties = parties_by_item(actor, chosen)
    for item in chosen:
        sides = [party] if party else parties[item.pk]
        sides = [side for side in sides if side in parties[item.pk]]
        for side in sides:
            if item.appraisals.filter(party=side).exists():
                continue
            Appraisal.objects.create(
                item=item,
                party=side,
                decision=decision,
                years=years,
                note=note[:500],
                appraiser=actor,
            )
            signed += 1
    if not signed:
        raise Forbidden(_("您不是这些条目的鉴定人,或已鉴定过"))
    audit_record(
        actor=actor,
        action="disposal_appraise",
        obj=found,
        detail={
            "decision": decision,
            "items": [i.pk for i in chosen],
            "years": years,
            "note": note,
        },
    )
    _conclude_appraisal(actor, found)
    return found


def _conclude_appraisal(actor: User, found: DisposalList) -> None:
    items = list(found.items.select_related("dossier").prefetch_related("appraisals"))
    if any({a.party for a in item.appraisals.all()} != set(Party.values) for item in items):
        return
    for item in items:
        decisions = {a.decision for a in item.appraisals.all()}
        if decisions == {Decision.DESTROY}:
            item.decision = Decision.DESTROY
        elif Decision.EXTEND in decisions:
            item.decision = Decision.EXTEND
            item.extend_years = max(a.years or 0 for a in item.appraisals.all())
        else:
            item.decision = Decision.KEEP
        item.save(update_fields=["decision", "extend_years"])
        if item.decision != Decision.DESTROY:
            _back(actor, item, _("鉴定:继续保存"))
        if item.decision == Decision.EXTEND and item.extend_years:
            # Counted from the appraisal, not from an expiry long past: "keep five more years".
            base = max(item.expires or timezone.localdate(), timezone.localdate())
            reasons = "; ".join(a.note for a in item.appraisals.all() if a.note)
            Extension.objects.create(
                dossier=item.dossier,
                document=item.document,
                until=retention.add_years(base, item.extend_years),
                reason=reasons[:500],
                decided_by=actor,
            )
    if any(item.decision == Decision.DESTROY for item in items):
        found.status = DisposalList.Status.APPROVAL
        found.save(update_fields=["status"])
        approval.chain_open(actor, found, timezone.now())
    else:
        found.status = DisposalList.Status.CLOSED
        found.save(update_fields=["status"])


def _back(actor: User, item: DisposalItem, reason: Any) -> None:
    if item.document_id is not None:
        return  # a single document never moved its dossier
    dossier = Dossier.objects.get(pk=item.dossier_id)
    if dossier.status in (Dossier.Status.APPRAISAL, Dossier.Status.PENDING_DISPOSAL):
        # Straight back: from 待销毁 (taken off during the hold) as from 待鉴定.
        dossier_transition(
            actor=actor,
            dossier=dossier,
            to=item.prior_status,
            reason=str(reason),
            channel=Channel.DISPOSAL,
        )


@refusals_audited("disposal_approve", "list_id")
@transaction.atomic
def list_approve(*, actor: User, list_id: Any, note: str = "") -> DisposalList:
    """The current step's holder approves; after the last step the items to destroy
    wait out the longest hold their types declare, kept apart as 待销毁."""
    found = _lock(actor, list_id)
    if found.status != DisposalList.Status.APPROVAL:
        raise InvalidTransition(_("清单不在审批阶段"), field="list")
    step = approval.decidable_step(actor, found)
    last = approval.approve(actor, found, step, note, timezone.now())
    audit_record(
        actor=actor,
        action="disposal_approve",
        obj=found,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    if not last:
        return found
    today = timezone.localdate()
    months = 1
    for item in found.items.filter(decision=Decision.DESTROY).select_related("dossier"):
        months = max(months, hold_months(item.dossier.archive_type))
        if item.document_id is not None:
            continue  # the piece is kept apart in its dossier; the dossier stays as it is
        dossier_transition(
            actor=actor,
            dossier=item.dossier,
            to=Dossier.Status.PENDING_DISPOSAL,
            reason=str(_("销毁清单 %(n)s 已批准,保留期内单独存放") % {"n": found.number}),
            channel=Channel.DISPOSAL,
        )
    found.status = DisposalList.Status.HOLD
    found.approved_at = timezone.now()
    found.hold_until = retention.add_months(today, months)
    found.save(update_fields=["status", "approved_at", "hold_until"])
    return found


# The hold each shipped type declares when the company has set none (seed 003 第29条: six
# months; 003 会馆, the hotel and club guests: one month).
DEFAULT_HOLD_MONTHS = {"HOTEL-GUEST": 1}


def disposal_spec_of(archive_type: Any) -> DisposalSpec:
    """The type's disposal rule as the schema types it: its row, or the shipped default."""
    rule = DisposalRule.objects.filter(archive_type=archive_type).first()
    if rule is not None:
        return DisposalSpec(trigger=rule.trigger, hold_months=rule.hold_months)
    return DisposalSpec(hold_months=DEFAULT_HOLD_MONTHS.get(archive_type.code, 6))


def hold_months(archive_type: Any) -> int:
    return disposal_spec_of(archive_type).hold_months


@refusals_audited("disposal_deny", "list_id")
@transaction.atomic
def list_deny(*, actor: User, list_id: Any, note: str) -> DisposalList:
    found = _lock(actor, list_id)
    if found.status != DisposalList.Status.APPROVAL:
        raise InvalidTransition(_("清单不在审批阶段"), field="list")
    step = approval.decidable_step(actor, found)
    if not note.strip():
        raise ApplicationError(_("驳回须说明理由"), field="note")
    approval.deny(actor, found, step, note, timezone.now())
    for item in found.items.filter(decision=Decision.DESTROY):
        _back(actor, item, _("销毁清单被驳回"))
    found.status = DisposalList.Status.DENIED
    found.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="disposal_deny",
        obj=found,
        detail={"step": step.position, "role": step.role, "note": step.note},
    )
    return found


@refusals_audited("disposal_destroy", "list_id")
@transaction.atomic
def list_destroy(*, actor: User, list_id: Any, method: str, note: str = "") -> DisposalList:
    """The supervisor (监销人) signs the destruction after the hold: the scans' bytes leave
    storage where no live document uses them, the personal data is erased, a tombstone
    stays, and each dossier is entered in the register."""
    policy.require(actor, perms.DISPOSAL_SUPERVISE)
    found = _lock(actor, list_id)
    if found.status != DisposalList.Status.HOLD:
        raise InvalidTransition(_("清单不在待销毁阶段"), field="list")
    if actor.pk == found.proposer_id:
        raise Forbidden(_("申报人不能担任监销人"))
    today = timezone.localdate()
    if found.hold_until is not None and today < found.hold_until:
        raise InvalidTransition(
            _("保留期至 %(date)s,期满后方可销毁") % {"date": found.hold_until.isoformat()},
            field="list",
        )
    if method not in METHODS:
        raise ApplicationError(_("销毁方式应为:%(m)s") % {"m": "、".join(METHODS)}, field="method")
    items = list(
        found.items.filter(decision=Decision.DESTROY).select_related(
            "dossier__archive_type", "document__checklist_item"
        )
    )
    for item in items:
        if item.document_id is not None:
            _check_document_destroyable(item)
            continue
        status = Dossier.objects.filter(pk=item.dossier_id).values_list("status", flat=True).get()
        if status != Dossier.Status.PENDING_DISPOSAL:
            raise InvalidTransition(
                _("%(n)s 当前状态为“%(s)s”(如已冻结),不能销毁")
                % {"n": item.dossier.archive_number, "s": Dossier.Status(status).label},
                field="list",
            )
    now = timezone.now()
    found.status, found.supervisor, found.destroyed_at, found.method = (
        DisposalList.Status.DESTROYED,
        actor,
        now,
        method,
    )
    found.save(update_fields=["status", "supervisor", "destroyed_at", "method"])
    appraisers = _names(
        User.objects.filter(
            pk__in=Appraisal.objects.filter(item__disposal_list=found).values("appraiser")
        )
    )
    approvers = _names(User.objects.filter(pk__in=found.steps.values("approver")))
    for item in items:
        destroy = _destroy_document if item.document_id is not None else _destroy_one
        destroy(actor, found, item, appraisers=appraisers, approvers=approvers, note=note)
    audit_record(
        actor=actor,
        action="disposal_destroy",
        obj=found,
        detail={
            "method": method,
            "dossiers": [i.dossier_id for i in items if i.document_id is None],
            "documents": [i.document_id for i in items if i.document_id is not None],
            "note": note.strip()[:500],
        },
    )
    return found


def _register_line(
    actor: User, found: DisposalList, *, appraisers: str, approvers: str, **line: Any
) -> RegisterEntry:
    """One line of the register (销毁清册): what was destroyed (`line`: its number, title,
    type, pieces, years and retention) and who, when and how, from the list."""
    destroyed = found.destroyed_at or timezone.now()
    return RegisterEntry.objects.create(
        list_number=found.number,
        appraisers=appraisers,
        approvers=approvers,
        proposer=str(found.proposer)[:100],
        supervisor=str(actor)[:100],
        approved_on=timezone.localtime(found.approved_at or timezone.now()).date(),
        destroyed_at=destroyed,
        method=found.method,
        backups_until=retention.backups_until(destroyed),
        kind=found.kind,
        **line,
    )


def _names(users: Iterable[User]) -> str:
    return "、".join(sorted(str(u) for u in users))[:300]


def _destroy_one(
    actor: User,
    found: DisposalList,
    item: DisposalItem,
    *,
    appraisers: str,
    approvers: str,
    note: str,
) -> None:
    from dangan.documents.models import Document

    dossier = item.dossier
    documents = Document.objects.filter(dossier=dossier)
    entry = _register_line(
        actor,
        found,
        appraisers=appraisers,
        approvers=approvers,
        archive_number=dossier.archive_number,
        title=masked_title(dossier)[:300],
        archive_type=dossier.archive_type.name,
        pieces=documents.count(),
        years=str(dossier.volume_year or ""),
        retention=retention_label(dossier.retention or dossier.archive_type.retention),
    )
    erase_dossier(dossier)
    dossier_transition(
        actor=actor,
        dossier=Dossier.objects.get(pk=dossier.pk),
        to=Dossier.Status.DESTROYED,
        reason=str(_("按销毁清单 %(n)s 监销销毁") % {"n": found.number}),
        channel=Channel.DISPOSAL,
    )
    audit_record(
        actor=actor,
        action="disposal_register",
        obj=entry,
        object_repr=f"{found.number} {entry.archive_number}",
        detail={
            "archive_number": entry.archive_number,
            "pieces": entry.pieces,
            "method": entry.method,
        },
    )


def _check_document_destroyable(item: DisposalItem) -> None:
    """A listed document can still be frozen or lent with its dossier during the hold."""
    from dangan.disposal.holds import held_customers
    from dangan.documents.models import Document

    dossier = Dossier.objects.get(pk=item.dossier_id)
    document = Document.objects.get(pk=item.document_id or 0)
    label = _piece_label(dossier, document)
    if document.state == Document.State.DESTROYED:
        raise InvalidTransition(_("%(n)s 已销毁") % {"n": label}, field="list")
    _check_document_free(dossier, label, held_customers, field="list")


def _destroy_document(
    actor: User,
    found: DisposalList,
    item: DisposalItem,
    *,
    appraisers: str,
    approvers: str,
    note: str,
) -> None:
    """One document (件) destroyed on its own: its scans and text erased, the row kept as
    a tombstone in its dossier (已销毁), one register line named 档号-件号."""
    from dangan.documents.models import Document
    from dangan.search import services as search_services

    dossier = item.dossier
    document = Document.objects.select_related("checklist_item").get(pk=item.document_id or 0)
    day = document.doc_date or timezone.localdate(document.created_at)
    entry = _register_line(
        actor,
        found,
        appraisers=appraisers,
        approvers=approvers,
        archive_number=_piece_label(dossier, document),
        title=mask_name(document.title, dossier)[:300],
        archive_type=dossier.archive_type.name,
        pieces=1,
        years=str(day.year),
        retention=retention_label(retention.document_code(document)),
    )
    documents = Document.objects.filter(pk=document.pk)
    remove_scans(documents)
    documents.update(
        title=ERASED, text="", responsible="", remarks="", state=Document.State.DESTROYED
    )
    search_services.index_after_commit(search_services.index_document, document.pk)
    audit_record(
        actor=actor,
        action="disposal_register",
        obj=entry,
        object_repr=f"{found.number} {entry.archive_number}",
        detail={
            "archive_number": entry.archive_number,
            "document": document.pk,
            "pieces": 1,
            "method": entry.method,
        },
    )


def deletion_request(*, actor: User, customer_id: Any, reason: str) -> DisposalList:
    """A customer's records asked to be deleted before their retention ends (003 会馆,
    000, PIPL 第47条): every live dossier of the customer on a deletion list, which then
    goes through the same appraisal, approval, hold and register."""
    customer = policy.access_customer(actor, customer_id)
    ids = list(
        Dossier.objects.filter(customer=customer)
        .exclude(status=Dossier.Status.DESTROYED)
        .values_list("pk", flat=True)
    )
    return list_propose(actor=actor, dossiers=ids, reason=reason, kind=DisposalList.Kind.DELETION)


@refusals_audited("disposal_restore", "list_id")
@transaction.atomic
def list_restore(*, actor: User, list_id: Any, items: Sequence[int], reason: str) -> DisposalList:
    """The archive room takes items back off a list during its hold (a dispute, a claim, a
    customer who came back): they are not destroyed, and their dossiers return to the
    state they were in before the list. A list left with nothing to destroy ends."""
    policy.require(actor, perms.DISPOSAL_PROPOSE)
    found = _lock(actor, list_id)
    if found.status != DisposalList.Status.HOLD:
        raise InvalidTransition(_("只有保留期内的清单可以撤回条目"), field="list")
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ApplicationError(_("撤回须说明理由"), field="reason")
    wanted = set(items)
    chosen = list(found.items.filter(decision=Decision.DESTROY, pk__in=wanted))
    if not wanted or not chosen:
        raise ApplicationError(_("请选择清单中待销毁的条目"), field="items")
    for item in chosen:
        item.decision = Decision.RESTORED
        item.save(update_fields=["decision"])
        _back(actor, item, _("保留期内撤回:%(r)s") % {"r": reason[:400]})
    if not found.items.filter(decision=Decision.DESTROY).exists():
        found.status = DisposalList.Status.CLOSED
        found.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="disposal_restore",
        obj=found,
        detail={"items": [i.pk for i in chosen], "reason": reason[:500]},
    )
    return found
