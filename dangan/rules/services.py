"""Changing the rules kept as data: archive types' rules and approval rules, each change
checked against the one schema (dangan.rules.schema), audited and versioned in the same
transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.audit.services import audit_record
from dangan.circulation.models import ApprovalRule
from dangan.core.errors import ApplicationError, NotFound
from dangan.locations.natural import placement_key
from dangan.rules import schema
from dangan.rules.models import RuleVersion

# --- versions ----------------------------------------------------------------------------


def archive_type_snapshot(archive_type: ArchiveType) -> dict[str, Any]:
    """The type's rules as stored: its columns, the ordered checklist and disposal."""
    from dangan.disposal.services import disposal_spec_of

    data: dict[str, Any] = {"code": archive_type.code}
    for key in schema.TYPE_COLUMNS:
        data[key] = getattr(archive_type, key)
    data["checklist"] = [
        {"code": item.code, **item_columns(item)}
        for item in archive_type.items.order_by("position", "id")
    ]
    data["disposal"] = disposal_spec_of(archive_type).stored()
    return data


def item_columns(item: ChecklistItem) -> dict[str, Any]:
    return {key: getattr(item, key) for key in schema.ITEM_COLUMNS}


def approval_rule_snapshot(rule: ApprovalRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "priority": rule.priority,
        "is_active": rule.is_active,
        "kind": rule.kind,
        "confidentiality": rule.confidentiality,
        "relation": rule.relation,
        "requester_role": rule.requester_role,
        "steps": list(rule.steps or []),
        "desk_approval": rule.desk_approval,
        "escalate_after_hours": rule.escalate_after_hours,
    }


def version_record(
    *,
    actor: User | None,
    subject: str,
    object_id: int,
    snapshot: dict[str, Any],
    sections: list[str] | None = None,
    note: str = "",
) -> RuleVersion:
    """The next version of one subject's rules. Call inside the transaction of the change,
    after locking the subject's row (two editors get consecutive numbers)."""
    last = (
        RuleVersion.objects.filter(subject=subject, object_id=object_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return RuleVersion.objects.create(
        subject=subject,
        object_id=object_id,
        number=(last or 0) + 1,
        snapshot=snapshot,
        sections=sections or [],
        note=note[:200],
        actor=actor,
    )


def archive_type_versioned(
    *, actor: User | None, archive_type: ArchiveType, sections: list[str]
) -> RuleVersion:
    """A new version after a change written by a finer service (a checklist item's form)."""
    return version_record(
        actor=actor,
        subject=RuleVersion.Subject.ARCHIVE_TYPE,
        object_id=archive_type.pk,
        snapshot=archive_type_snapshot(archive_type),
        sections=sections,
    )


def _in_force(subject: str, object_id: int, snapshot: Any) -> RuleVersion:
    """The latest version; rules older than versioning get their first one here."""
    found = (
        RuleVersion.objects.filter(subject=subject, object_id=object_id).order_by("-number").first()
    )
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return RuleVersion.objects.create(
                subject=subject,
                object_id=object_id,
                number=1,
                snapshot=snapshot(),
                note=str(_("启用版本管理时的规则")),
            )
    except IntegrityError:  # another decision recorded it first
        return RuleVersion.objects.get(subject=subject, object_id=object_id, number=1)


def archive_type_version(archive_type: ArchiveType) -> RuleVersion:
    return _in_force(
        RuleVersion.Subject.ARCHIVE_TYPE,
        archive_type.pk,
        lambda: archive_type_snapshot(archive_type),
    )


def approval_rule_version(rule: ApprovalRule) -> RuleVersion:
    return _in_force(
        RuleVersion.Subject.APPROVAL_RULE, rule.pk, lambda: approval_rule_snapshot(rule)
    )


# --- archive types -----------------------------------------------------------------------


def archive_type_apply(
    archive_type: ArchiveType | None, code: str, rules: schema.ArchiveTypeRules
) -> tuple[ArchiveType, list[str]]:
    """Write checked rules onto a type (a new one when None); returns the type and the
    sections that changed. Checklist items are matched by code: new codes are added, the
    order follows the list, an item left out is removed unless documents are filed under
    it (then refused). No permission check: callers (the services below, the template
    loader) do theirs."""
    columns = rules.columns()
    changed: list[str]
    if archive_type is None:
        archive_type = ArchiveType.objects.create(code=code, **columns)
        changed = [*columns, "checklist"]
    else:
        changed = [key for key, value in columns.items() if getattr(archive_type, key) != value]
        old_placement = list(archive_type.placement or [])
        for key in changed:
            setattr(archive_type, key, columns[key])
        if changed:
            archive_type.save(update_fields=[*changed, "updated_at"])
        if old_placement != list(archive_type.placement or []):
            _resort(archive_type)
        if "unique_keys" in changed:  # the dossiers filed before hold the keys they fill
            from dangan.archives import keys

            keys.claim_type(archive_type)
    if _apply_checklist(archive_type, rules.checklist):
        changed.append("checklist")
    if rules.disposal is not None and _apply_disposal(archive_type, rules.disposal):
        changed.append("disposal")
    return archive_type, changed


def _apply_checklist(archive_type: ArchiveType, specs: tuple[schema.ItemSpec, ...]) -> bool:
    existing = {item.code: item for item in archive_type.items.all()}
    wanted = {spec.code for spec in specs}
    dropped = [item for code, item in existing.items() if code not in wanted]
    if dropped:
        used = (
            ChecklistItem.objects.filter(pk__in=[item.pk for item in dropped])
            .annotate(n=Count("documents"))
            .filter(n__gt=0)
            .values_list("name", flat=True)
            .first()
        )
        if used is not None:
            raise ApplicationError(
                _("“%(n)s”下已有归档文件,不能从清单中删除(可改为可选)") % {"n": used},
                field="checklist",
            )
        ChecklistItem.objects.filter(pk__in=[item.pk for item in dropped]).delete()
    changed = bool(dropped)
    # Positions are unique per type only by convention; move them out of the way first.
    fresh = []
    for position, spec in enumerate(specs, start=1):
        values = {**spec.stored(), "position": position}
        item = existing.get(spec.code)
        if item is None:
            fresh.append(ChecklistItem(archive_type=archive_type, code=spec.code, **values))
            continue
        differ = [key for key, value in values.items() if getattr(item, key) != value]
        for key in differ:
            setattr(item, key, values[key])
        if differ:
            item.save(update_fields=differ)
            changed = True
    if fresh:
        ChecklistItem.objects.bulk_create(fresh)
        changed = True
    return changed


def _apply_disposal(archive_type: ArchiveType, spec: schema.DisposalSpec) -> bool:
    from dangan.disposal.models import DisposalRule
    from dangan.disposal.services import disposal_spec_of

    if disposal_spec_of(archive_type) == spec:
        return False
    DisposalRule.objects.update_or_create(
        archive_type=archive_type,
        defaults={"trigger": spec.trigger, "hold_months": spec.hold_months},
    )
    return True


def _resort(archive_type: ArchiveType) -> None:
    """New placement fields: the type's dossiers get their sort keys again."""
    dossiers = list(archive_type.dossiers.only("id", "fields"))
    for dossier in dossiers:
        dossier.placement_key = placement_key(archive_type.placement, dossier.fields or {})
    Dossier.objects.bulk_update(dossiers, ["placement_key"], batch_size=2000)


@transaction.atomic
def archive_type_rules_save(
    *, actor: User, archive_type: ArchiveType, data: dict[str, Any], note: str = ""
) -> ArchiveType:
    """Replace a type's rules with `data` (the shape GET /archive-types/{id}/ answers;
    `code` cannot change, read-only keys are the caller's to drop). Everything is checked
    before anything is written; a change is audited and becomes a new version."""
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    archive_type = ArchiveType.objects.select_for_update().get(pk=archive_type.pk)
    if "code" in data and str(data["code"]) != archive_type.code:
        raise ApplicationError(_("类别代码不可更改"), field="code")
    before = archive_type_snapshot(archive_type)
    rules = schema.archive_type_rules({**data, "code": archive_type.code})
    _check_sign_offs(rules)
    archive_type, changed = archive_type_apply(archive_type, archive_type.code, rules)
    if not changed:
        return archive_type
    after = archive_type_snapshot(archive_type)
    version = version_record(
        actor=actor,
        subject=RuleVersion.Subject.ARCHIVE_TYPE,
        object_id=archive_type.pk,
        snapshot=after,
        sections=changed,
        note=note,
    )
    audit_record(
        actor=actor,
        action="change",
        obj=archive_type,
        detail={
            "version": version.number,
            "sections": changed,
            "before": {key: before.get(key) for key in changed},
            "after": {key: after.get(key) for key in changed},
        },
    )
    return archive_type


def archive_type_section_save(
    *, actor: User, archive_type: ArchiveType, section: str, value: Any
) -> ArchiveType:
    """One section of a type's rules replaced (the structured editor's forms)."""
    if section not in schema.TYPE_KEYS - {"code"}:
        raise ApplicationError(_("未知的规则部分"), field="section")
    data = archive_type_snapshot(archive_type)
    data[section] = value
    return archive_type_rules_save(actor=actor, archive_type=archive_type, data=data)


# --- approval rules ------------------------------------------------------------------------


def role_codes() -> set[str]:
    return set(Role.objects.values_list("code", flat=True))


def _check_chain(spec: schema.ApprovalRuleSpec) -> None:
    """A step nobody holds would leave the chain with no approver: refused."""
    if not spec.is_active:
        return
    for n, step in enumerate(spec.steps, start=1):
        if not policy.office_holders(step.role, None).exists():
            name = Role.objects.filter(code=step.role).values_list("name", flat=True).first()
            raise ApplicationError(
                _("第%(n)s步的审批角色“%(r)s”目前没有任何在职人员,审批链将无人审批")
                % {"n": n, "r": name or step.role},
                field="steps",
            )


def _check_openers(
    kind: Any, steps: Iterable[schema.ApprovalStep], *, field: str, where: str = ""
) -> None:
    """A step (or the level it goes to) whose role cannot open what the chain of `kind`
    (an approvals.Subject class) decides would hand it to people who find "no such
    record" (a statement's to a role that sees no findings, a sign-off's to a role that
    sees no dossiers): refused, naming the step's role and why. `where` names the chain
    when the input holds several (a checklist item's sign-offs)."""
    from dangan.accounts.permissions import LABELS

    if kind is None or not kind.holder_permission:
        return
    roles = {role.code: role for role in Role.objects.all()}
    needed = LABELS.get(kind.holder_permission, kind.holder_permission)
    for n, step in enumerate(steps, start=1):
        for code, message in (
            (
                step.role,
                _(
                    "%(where)s第%(n)s步的审批角色“%(r)s”不能查看%(what)s(该角色没有“%(p)s”"
                    "权限或数据范围为无),其审批人打开时只会看到“记录不存在”"
                ),
            ),
            (
                step.escalate_to,
                _(
                    "%(where)s第%(n)s步无人时转交的角色“%(r)s”不能查看%(what)s(该角色没有"
                    "“%(p)s”权限或数据范围为无),转交给它的审批人打开时只会看到“记录不存在”"
                ),
            ),
        ):
            role = roles.get(code) if code else None
            if role is not None and not kind.role_may_open(role):
                raise ApplicationError(
                    message
                    % {
                        "where": where,
                        "n": n,
                        "r": role.name,
                        "what": kind.opens_what,
                        "p": needed,
                    },
                    field=field,
                )


def _check_rule_openers(spec: schema.ApprovalRuleSpec) -> None:
    from dangan.circulation.approvals import subject_for_rule

    _check_openers(subject_for_rule(spec.kind), spec.steps, field="steps")


def _check_sign_offs(rules: schema.ArchiveTypeRules) -> None:
    """Each checklist item's sign-offs go to roles that can open the dossier (as an
    approval rule's steps must: _check_openers)."""
    from dangan.confirmations.approval import ConfirmationSubject

    for item in rules.checklist:
        where = _("清单项“%(name)s”的确认:") % {"name": item.name}
        _check_openers(ConfirmationSubject, item.confirm, field="checklist", where=where)


def _others_of_kind(rule: ApprovalRule) -> Any:
    """The other active rules that would set the chains `rule` sets: of its kind for a
    destruction list or a statement, else the access requests' rules."""
    others = ApprovalRule.objects.filter(is_active=True).exclude(pk=rule.pk)
    if rule.kind in schema.SUBJECT_KINDS:
        return others.filter(kind=rule.kind)
    return others.exclude(kind__in=schema.SUBJECT_KINDS)


def _keeps_a_chain(rule: ApprovalRule, spec: schema.ApprovalRuleSpec) -> None:
    """Destruction lists and statements always have a rule: the last active one of its
    kind is neither switched off nor turned into another kind."""
    if rule.kind not in schema.SUBJECT_KINDS or not rule.is_active:
        return
    if (spec.kind != rule.kind or not spec.is_active) and not _others_of_kind(rule).exists():
        raise ApplicationError(
            _("这是该类型唯一启用的审批规则,不能停用或改为其他类型"), field="is_active"
        )


def _rule_audit(
    actor: User, action: str, rule: ApprovalRule, version: RuleVersion, **detail: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=rule,
        detail={"version": version.number, "rule": approval_rule_snapshot(rule), **detail},
    )


@transaction.atomic
def approval_rule_create(*, actor: User, data: dict[str, Any]) -> ApprovalRule:
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    spec = schema.approval_rule(data, roles=role_codes())
    _check_rule_openers(spec)
    _check_chain(spec)
    rule = ApprovalRule.objects.create(**spec.columns())
    version = version_record(
        actor=actor,
        subject=RuleVersion.Subject.APPROVAL_RULE,
        object_id=rule.pk,
        snapshot=approval_rule_snapshot(rule),
        sections=list(spec.columns()),
    )
    _rule_audit(actor, "create", rule, version)
    return rule


def _locked_rule(pk: Any) -> ApprovalRule:
    try:
        return ApprovalRule.objects.select_for_update().get(pk=int(pk))
    except (ApprovalRule.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("审批规则不存在")) from None


@transaction.atomic
def approval_rule_update(*, actor: User, rule: ApprovalRule, data: dict[str, Any]) -> ApprovalRule:
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    rule = _locked_rule(rule.pk)
    before = approval_rule_snapshot(rule)
    spec = schema.approval_rule(data, roles=role_codes())
    _check_rule_openers(spec)
    _check_chain(spec)
    _keeps_a_chain(rule, spec)
    columns = spec.columns()
    changed = [key for key, value in columns.items() if before[key] != value]
    if not changed:
        return rule
    for key in changed:
        setattr(rule, key, columns[key])
    rule.save(update_fields=changed)
    version = version_record(
        actor=actor,
        subject=RuleVersion.Subject.APPROVAL_RULE,
        object_id=rule.pk,
        snapshot=approval_rule_snapshot(rule),
        sections=changed,
    )
    _rule_audit(actor, "change", rule, version, before={k: before[k] for k in changed})
    return rule


@transaction.atomic
def approval_rule_delete(*, actor: User, rule: ApprovalRule) -> None:
    """Delete a rule. Requests it decided keep the version they were decided by."""
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    rule = _locked_rule(rule.pk)
    if not _others_of_kind(rule).exists():
        raise ApplicationError(_("至少须保留一条启用的审批规则"), field="non_field_errors")
    version = version_record(
        actor=actor,
        subject=RuleVersion.Subject.APPROVAL_RULE,
        object_id=rule.pk,
        snapshot={**approval_rule_snapshot(rule), "deleted": True},
        sections=["deleted"],
        note=str(_("已删除")),
    )
    _rule_audit(actor, "delete", rule, version)
    rule.delete()
