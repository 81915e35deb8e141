"""Business actions on archive types and dossiers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import keys, numbering
from dangan.archives.checklist import condition_errors
from dangan.archives.fields import clean_custom_fields
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.audit.services import Event, audit_record, audit_record_many, refusals_audited
from dangan.changes import control
from dangan.changes import services as change_services
from dangan.changes.models import ChangeRequest
from dangan.core import bulk
from dangan.core.errors import ApplicationError, NotFound, ValidationFailed
from dangan.customers.models import Customer
from dangan.locations.natural import placement_key
from dangan.rules import schema
from dangan.rules import services as rule_services
from dangan.search import services as search_services

RETENTION_CODES = schema.RETENTION_CODES
validate_retention = schema.parse_retention


def _dossier_build(
    actor: User,
    customer: Customer,
    archive_type: ArchiveType,
    fields: dict[str, Any] | None,
    title: str = "",
    confidentiality: str | None = None,
    volume_year: int | None = None,
    location: dict[str, str] | None = None,
) -> Dossier:
    """Validate a new dossier of a customer the actor may see; unsaved, without number."""
    if not archive_type.is_active:
        raise ApplicationError(_("该档案类型已停用"), field="archive_type")
    if archive_type.customer_less:
        raise ApplicationError(
            _("“%(type)s”不属于客户,请在“公司档案”中新建") % {"type": archive_type.name},
            field="archive_type",
        )
    if archive_type.customer_kinds and customer.kind not in archive_type.customer_kinds:
        raise ApplicationError(
            _("“%(type)s”不适用于%(kind)s客户")
            % {"type": archive_type.name, "kind": customer.get_kind_display()},
            field="archive_type",
        )
    if confidentiality in (None, ""):
        confidentiality = archive_type.default_confidentiality  # the type's (issue 27 §4)
    if confidentiality not in Dossier.Confidentiality.values:
        raise ApplicationError(_("密级无效"), field="confidentiality")
    cleaned = clean_custom_fields(archive_type.field_schema(), fields or {})
    keys.check_free(archive_type, cleaned)  # 一车一档: refused before a number is spent
    place, node = _placement(location or {})
    today = timezone.localdate()
    year = volume_year or today.year
    if not 1900 <= year <= today.year + 1:
        raise ApplicationError(_("年度不正确"), field="volume_year")
    return Dossier(
        customer=customer,
        archive_type=archive_type,
        title=title.strip() or f"{customer.name} {archive_type.name}",
        confidentiality=confidentiality,
        retention=archive_type.retention,
        volume_year=year,
        fields=cleaned,
        created_by=actor,
        **place,
        location_node=node,
        placement_key=placement_key(archive_type.placement, cleaned),
    )


def _placement(location: dict[str, Any]) -> tuple[dict[str, str], Any]:
    """The five texts and the archive room's place of a new dossier, the place's capacity
    checked (dangan.locations)."""
    from dangan.locations.services import placement_for_new

    if location.get("node") not in (None, ""):
        return placement_for_new(location["node"])
    place = _clean_location({k: v for k, v in location.items() if k != "node"})
    return place, placement_for_new(None, place)[1] if any(place.values()) else None


def dossier_validate(
    *, actor: User, customer: Customer, archive_type: ArchiveType, fields: dict[str, Any]
) -> None:
    """Raise what dossier_create would refuse for these fields (bulk callers check a row
    before creating the customer the dossier belongs to)."""
    _dossier_build(actor, customer, archive_type, fields)


def _number_context(dossier: Dossier) -> numbering.NumberContext:
    department = dossier.customer.department if dossier.customer else dossier.department
    return numbering.NumberContext(
        code=dossier.archive_type.code,
        date=timezone.localdate(),
        dept=department.code if department else "",
    )


def _created_event(dossier: Dossier) -> Event:
    return Event(
        "create",
        dossier,
        detail={
            "archive_number": dossier.archive_number,
            "customer": dossier.customer_id,
            "type": dossier.archive_type.code,
        },
    )


@transaction.atomic
def dossier_create(
    *,
    actor: User,
    customer: Customer,
    archive_type: ArchiveType,
    fields: dict[str, Any] | None = None,
    title: str = "",
    confidentiality: str | None = None,
    volume_year: int | None = None,
    location: dict[str, str] | None = None,
) -> Dossier:
    """Open a dossier and allocate its archive number in the same transaction. Without a
    confidentiality it gets its archive type's default 密级."""
    policy.require(actor, perms.DOSSIER_CREATE)
    # The customer must be one the actor can see (a guessed id is "not found").
    customer = policy.access_customer(actor, customer.pk)
    dossier = _dossier_build(
        actor, customer, archive_type, fields, title, confidentiality, volume_year, location
    )
    dossier.archive_number = numbering.allocate(archive_type.numbering, _number_context(dossier))
    dossier.save(force_insert=True)
    keys.claim(dossier)
    audit_record_many(actor=actor, events=[_created_event(dossier)])
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    return dossier


@transaction.atomic
def dossiers_create_bulk(
    *, actor: User, items: list[tuple[Customer, ArchiveType, dict[str, Any]]]
) -> list[Dossier | ApplicationError]:
    """Open one dossier per (customer, type, fields) with the checks of dossier_create;
    numbers are allocated per counter in one step and the rows, audit entries and index
    writes go in one statement each (imports). Returns the dossier or the refusal."""
    policy.require(actor, perms.DOSSIER_CREATE)
    visible = set(
        policy.customers_for(actor)
        .filter(pk__in=[customer.pk for customer, _t, _f in items])
        .values_list("pk", flat=True)
    )
    results: list[Dossier | ApplicationError] = []
    for customer, archive_type, fields in items:
        try:
            if customer.pk not in visible:
                raise NotFound(_("记录不存在或您无权查看"))
            results.append(_dossier_build(actor, customer, archive_type, fields))
        except ApplicationError as exc:
            results.append(exc)
    _refuse_repeated_keys(results)
    fresh = [d for d in results if isinstance(d, Dossier)]
    groups: dict[tuple[str, str], list[Dossier]] = {}
    for dossier in fresh:
        rule = dossier.archive_type.numbering
        ctx = _number_context(dossier)
        groups.setdefault((rule, numbering.counter_key(rule, ctx)), []).append(dossier)
    for (rule, _key), members in groups.items():
        numbers = numbering.allocate_many(rule, _number_context(members[0]), len(members))
        for dossier, number in zip(members, numbers, strict=True):
            dossier.archive_number = number
    bulk.insert(Dossier, fresh)
    keys.claim_many(fresh)
    audit_record_many(actor=actor, events=[_created_event(d) for d in fresh])
    ids = [d.pk for d in fresh]
    search_services.index_after_commit(search_services.index_dossiers, ids)
    return results


def _refuse_repeated_keys(results: list[Dossier | ApplicationError]) -> None:
    """Within one bulk request, the second dossier for a key already claimed by the first
    is refused as a duplicate of it (the first is not yet in the key table)."""
    seen: dict[tuple[int, str, str], Dossier] = {}
    for index, result in enumerate(results):
        if not isinstance(result, Dossier):
            continue
        for name, value in keys.key_values(result.archive_type, result.fields):
            first = seen.setdefault((result.archive_type.pk, name, value), result)
            if first is not result:
                results[index] = keys.repeated_in_batch(result.archive_type, name, value)
                break


def dossier_open(*, actor: User, pk: Any) -> Dossier:
    """A dossier, opened for reading by `actor`: refused as the policy says, and on the
    record, as every look at a customer's papers is (STANDARDS 43)."""
    dossier = policy.access_dossier(actor, pk)
    audit_record(actor=actor, action="view", obj=dossier)
    return dossier


def _clean_location(location: dict[str, str]) -> dict[str, str]:
    unknown = set(location) - {name.removeprefix("location_") for name in Dossier.LOCATION_FIELDS}
    if unknown:
        raise ApplicationError(_("未知的位置字段"), field="location")
    cleaned = {}
    for name in Dossier.LOCATION_FIELDS:
        value = str(location.get(name.removeprefix("location_"), "") or "").strip()
        if len(value) > 40:
            raise ApplicationError(_("位置信息过长(最多40字)"), field=name)
        cleaned[name] = value
    return cleaned


def dossier_locate(*, actor: User, dossier: Dossier, location: dict[str, str]) -> Dossier:
    """Record where the paper bag sits: room → cabinet → shelf → box → position (the
    archive room's tree, its capacities and the history of moves: dangan.locations)."""
    from dangan.locations.services import dossier_relocate

    return dossier_relocate(actor=actor, dossier=dossier, location=dict(location))


# What a change of a dossier may name, and the permission each needs (dossier_update).
CHANGE_KEYS: dict[str, str] = {
    "title": perms.DOSSIER_CHANGE,
    "confidentiality": perms.DOSSIER_CHANGE,
    "fields": perms.DOSSIER_CHANGE,
    "location": perms.DOSSIER_LOCATE,
}


def check_change_keys(changes: dict[str, Any]) -> None:
    """Refuse, each by name, what a change of a dossier may not name: the archive number,
    the status (it moves only through its transition table) and anything unknown."""
    errors: dict[str, Any] = {}
    for key in changes:
        if key == "archive_number":
            errors[key] = _("档号一经分配不可更改")
        elif key == "status":
            errors[key] = _("状态不能直接修改,请通过状态变更办理")
        elif key not in CHANGE_KEYS:
            errors[str(key)[:40]] = _("未知字段或不可修改的字段")
    if errors:
        raise ValidationFailed(errors)


def flat_dossier(dossier: Dossier) -> dict[str, Any]:
    """A dossier's changeable values by field as its history names them: title,
    confidentiality, location (its parts) and fields.<key> (changes.control)."""
    values: dict[str, Any] = {
        "title": dossier.title,
        "confidentiality": dossier.confidentiality,
        "location": _location_of(dossier),
    }
    for key, value in (dossier.fields or {}).items():
        values[f"fields.{key}"] = value
    return values


def _location_of(dossier: Dossier) -> dict[str, str]:
    return {
        name.removeprefix("location_"): getattr(dossier, name) for name in Dossier.LOCATION_FIELDS
    }


@refusals_audited("change", "dossier")
@transaction.atomic
def dossier_update(
    *,
    actor: User,
    dossier: Dossier,
    changes: dict[str, Any],
    reason: str = "",
    propose: bool = False,
    change_request: ChangeRequest | None = None,
) -> Dossier | ChangeRequest:
    """One request's changes of a dossier, all or nothing: title, confidentiality, custom
    fields (merged into the current ones) and location (a full or partial dict of its
    parts, or {"node": id}; moved by dangan.locations in this transaction). Every
    permission the changes need is checked before anything is written; a refused one
    leaves the dossier as it was.

    Change control (the type's change_control): a change that needs a reason and has
    none is refused naming `reason`; one that needs approval (or is `propose`d) is not
    applied but returned as a pending ChangeRequest. With `change_request` (approved,
    from changes.services) the change is applied in the approver's name (`actor`), the
    requester's permissions having been checked when it was asked."""
    from dangan.locations.services import relocate_checked, target_place

    check_change_keys(changes)
    if change_request is None:
        dossier = policy.access_dossier(actor, dossier.pk)
        for action in sorted({CHANGE_KEYS[key] for key in changes}):
            # The same refusal as access_dossier(action=...), for each permission needed.
            policy.access_dossier(actor, dossier.pk, action=action)
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("archive_type", "customer")
        .get(pk=dossier.pk)
    )
    old = change_services.jsonable(flat_dossier(dossier))
    kept = frozenset(keys.key_values(dossier.archive_type, dossier.fields or {}))
    before, after = _changed_values(dossier, changes, kept)
    new = change_services.jsonable(flat_dossier(dossier))
    location: dict[str, Any] | None = None
    if "location" in changes:
        location = dict(changes["location"] or {})
        if not location.get("node"):
            location = {**old["location"], **location}
        place, _node = target_place(location)
        new["location"] = {name.removeprefix("location_"): v for name, v in place.items()}
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if not changed:
        return dossier
    rules = dossier.archive_type.change_control
    levels = {field: control.dossier_level(rules, field) for field in changed}
    needed = control.APPROVAL if propose else control.strictest(levels.values())
    if change_request is not None:
        reason = change_request.reason
    else:
        reason = change_services.require_reason(needed, reason)
        if needed == control.APPROVAL:
            return change_services.request_open(
                actor=actor,
                customer=dossier.customer,
                dossier=dossier,
                changes=changes,
                before={field: old.get(field) for field in changed},
                after={field: new.get(field) for field in changed},
                reason=reason,
            )
    context: dict[str, Any] = {"reason": reason} if reason else {}
    if change_request is not None:
        context["request"] = change_request.number
        context["requested_by"] = change_request.requester.username
    if after:
        dossier.save()
        # A changed VIN or unit frees the old key and takes the new.
        keys.claim(dossier, kept=kept)
        audit_record(
            actor=actor,
            action="change",
            obj=dossier,
            detail={"before": {k: before[k] for k in after}, "after": after, **context},
        )
    if location is not None and "location" in changed:
        dossier = relocate_checked(actor=actor, dossier=dossier, location=location, reason=reason)
    change_services.record(
        changed_by=change_request.requester if change_request is not None else actor,
        customer=dossier.customer,
        dossier=dossier,
        before={field: old.get(field) for field in changed},
        after={field: new.get(field) for field in changed},
        levels=levels,
        reason=reason,
        approved_by=actor if change_request is not None else None,
        request=change_request,
    )
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    return dossier


def _changed_values(
    dossier: Dossier, changes: dict[str, Any], kept: frozenset[tuple[str, str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate title, confidentiality and fields of `changes`, set them on the (locked)
    dossier; return the values before (of every field named) and after (only of the
    fields that changed). Only keys the dossier did not have (`kept`) must be free."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    wanted: dict[str, Any] = {}
    if "title" in changes:
        title = str(changes["title"] or "").strip()
        if not title:
            raise ApplicationError(_("请填写案卷题名"), field="title")
        wanted["title"] = title
    if "confidentiality" in changes:
        if changes["confidentiality"] not in Dossier.Confidentiality.values:
            raise ApplicationError(_("密级无效"), field="confidentiality")
        wanted["confidentiality"] = changes["confidentiality"]
    if "fields" in changes:
        merged = {**dossier.fields, **(changes["fields"] or {})}
        wanted["fields"] = clean_custom_fields(dossier.archive_type.field_schema(), merged)
        keys.check_free(dossier.archive_type, wanted["fields"], exclude=dossier.pk, kept=kept)
    for name, value in wanted.items():
        before[name] = getattr(dossier, name)
        if value != before[name]:
            after[name] = value
            setattr(dossier, name, value)
    if "fields" in after:
        dossier.placement_key = placement_key(dossier.archive_type.placement, after["fields"])
    return before, after


# --- Archive types (templates) ---------------------------------------------------


@transaction.atomic
def archive_type_update(
    *, actor: User, archive_type: ArchiveType, changes: dict[str, Any]
) -> ArchiveType:
    """The settings form of the type's page: name, numbering, retention, order, 启用 and
    the deadline variant, saved as a new version of the type's rules."""
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    allowed = {
        "name",
        "description",
        "numbering",
        "retention",
        "document_order",
        "is_active",
        "deadline_variant",
        "default_confidentiality",
        "originals_copyable",
    }
    changes = dict(changes)
    if not archive_type.deadline_variants and not changes.get("deadline_variant"):
        changes.pop("deadline_variant", None)  # a type without choices: nothing to pick
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(_("不可修改的字段:%(f)s") % {"f": ", ".join(sorted(unknown))})
    data = {**rule_services.archive_type_snapshot(archive_type), **changes}
    return rule_services.archive_type_rules_save(actor=actor, archive_type=archive_type, data=data)


def _clean_item(archive_type: ArchiveType, data: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"]).strip()
        if not name:
            raise ApplicationError(_("请填写文件名称"), field="name")
        cleaned["name"] = name
    if "requirement" in data:
        if data["requirement"] not in ChecklistItem.Requirement.values:
            raise ApplicationError(_("要求须为必备、可选或条件必备"), field="requirement")
        cleaned["requirement"] = data["requirement"]
    if "when" in data:
        when = data["when"] or {}
        if not isinstance(when, dict):
            raise ApplicationError(_("适用条件格式不正确"), field="when")
        problems = condition_errors(when, archive_type.field_schema())
        if problems:
            raise ApplicationError(
                _("适用条件无效:%(p)s") % {"p": ";".join(problems)}, field="when"
            )
        cleaned["when"] = when
    for key in ("group", "note"):
        if key in data:
            cleaned[key] = str(data[key] or "").strip()[:200]
    for key in ("needs_stamp", "needs_signature", "original"):
        if key in data:
            cleaned[key] = bool(data[key])
    if "copies" in data:
        try:
            copies = int(data["copies"])
        except (TypeError, ValueError):
            raise ApplicationError(_("份数应为1到20之间的整数"), field="copies") from None
        if not 1 <= copies <= 20:
            raise ApplicationError(_("份数应为1到20之间的整数"), field="copies")
        cleaned["copies"] = copies
    if cleaned.get("requirement") == ChecklistItem.Requirement.CONDITIONAL and not cleaned.get(
        "when", data.get("when")
    ):
        raise ApplicationError(_("条件必备项须设置适用条件"), field="when")
    return cleaned


@transaction.atomic
def checklist_item_add(
    *, actor: User, archive_type: ArchiveType, data: dict[str, Any]
) -> ChecklistItem:
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    archive_type = ArchiveType.objects.select_for_update().get(pk=archive_type.pk)
    cleaned = _clean_item(archive_type, {"requirement": "required", **data})
    if "name" not in cleaned:
        raise ApplicationError(_("请填写文件名称"), field="name")
    last = archive_type.items.aggregate(m=Max("position"))["m"] or 0
    code = str(data.get("code") or f"ITEM{last + 1:03d}").strip().upper()
    if archive_type.items.filter(code=code).exists():
        raise ApplicationError(_("该代码已存在"), field="code")
    item = ChecklistItem.objects.create(
        archive_type=archive_type, code=code, position=last + 1, **cleaned
    )
    version = rule_services.archive_type_versioned(
        actor=actor, archive_type=archive_type, sections=["checklist"]
    )
    audit_record(
        actor=actor,
        action="create",
        obj=item,
        detail={"type": archive_type.code, "version": version.number, **cleaned},
    )
    return item


@transaction.atomic
def checklist_item_update(
    *, actor: User, item: ChecklistItem, data: dict[str, Any]
) -> ChecklistItem:
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    # The type first, as every change of a type's rules locks it (one version at a time).
    ArchiveType.objects.select_for_update().filter(pk=item.archive_type_id).first()
    item = ChecklistItem.objects.select_for_update().select_related("archive_type").get(pk=item.pk)
    cleaned = _clean_item(item.archive_type, data)
    if cleaned.get("requirement", item.requirement) == "conditional" and not cleaned.get(
        "when", item.when
    ):
        raise ApplicationError(_("条件必备项须设置适用条件"), field="when")
    before = {key: getattr(item, key) for key in cleaned}
    for key, value in cleaned.items():
        setattr(item, key, value)
    item.save()
    version = rule_services.archive_type_versioned(
        actor=actor, archive_type=item.archive_type, sections=["checklist"]
    )
    audit_record(
        actor=actor,
        action="change",
        obj=item,
        detail={"before": before, "after": cleaned, "version": version.number},
    )
    return item


@transaction.atomic
def checklist_item_move(*, actor: User, item: ChecklistItem, direction: int) -> None:
    """Swap an item with its neighbour above (-1) or below (+1)."""
    policy.require(actor, perms.ARCHIVE_TYPE_MANAGE)
    ArchiveType.objects.select_for_update().filter(pk=item.archive_type_id).first()
    items = list(
        ChecklistItem.objects.select_for_update()
        .filter(archive_type_id=item.archive_type_id)
        .order_by("position", "id")
    )
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, it in enumerate(items, start=1):
        if it.position != position:
            it.position = position
            it.save(update_fields=["position"])
    version = rule_services.archive_type_versioned(
        actor=actor, archive_type=item.archive_type, sections=["checklist"]
    )
    audit_record(
        actor=actor,
        action="reorder",
        obj=item,
        detail={"to": target + 1, "version": version.number},
    )


def retention_years(code: str) -> int | None:
    """Years to keep; None for permanent."""
    if code == "Y":
        return None
    return int(code.removeprefix("D"))
