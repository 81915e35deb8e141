"""Business actions on customers. Each takes the acting user and writes the audit trail."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, Role, User
from dangan.archives import naming
from dangan.archives.models import Dossier
from dangan.audit.services import (
    Event,
    audit_record,
    audit_record_many,
    audit_search,
    refusals_audited,
)
from dangan.changes import control
from dangan.changes import services as change_services
from dangan.changes.models import ChangeRequest
from dangan.core import bulk, crypto, identifiers
from dangan.core.errors import ApplicationError, Forbidden, ValidationFailed
from dangan.customers import credit, selectors
from dangan.customers.models import Customer, RelatedPerson
from dangan.search import services as search_services

DETAIL_FIELDS = (
    "gender",
    "birth_date",
    "phone",
    "address",
    "email",
    "legal_representative",
    "registered_capital",
    "industry",
    "scale",
    "tier",
    "stage",
    "category",
    "credit_rating",
    "credit_limit",
    "remarks",
)
_OTHER_ID = re.compile(r"^[A-Z0-9]{5,20}$")
# Choice values as sets, built once (TextChoices.values makes a new list on every call).
_KINDS = frozenset(Customer.Kind.values)
_ID_TYPES = frozenset(Customer.IdType.values)
_DETAIL_CHOICES = (
    ("gender", frozenset(Customer.Gender.values)),
    ("tier", frozenset(Customer.Tier.values)),
    ("stage", frozenset(Customer.Stage.values)),
    ("category", frozenset(Customer.Category.values)),
)


def _identity(kind: str, id_type: str, id_number: str) -> tuple[str, str, dict[str, Any]]:
    """Validate an identity document; return (id_type, normalised number, derived facts)."""
    if not id_number.strip():
        return ("", "", {})
    if kind == Customer.Kind.ORGANIZATION:
        raise ApplicationError(
            _("单位客户请填写统一社会信用代码,而不是个人证件号码"), field="id_number"
        )
    id_type = id_type or Customer.IdType.RESIDENT_ID
    if id_type not in _ID_TYPES:
        raise ApplicationError(_("证件类型无效"), field="id_type")
    if id_type == Customer.IdType.RESIDENT_ID:
        try:
            number, birth_date, gender = identifiers.parse_resident_id(id_number)
        except identifiers.IdentifierError as exc:
            raise ApplicationError(exc.message, field="id_number") from None
        return (id_type, number, {"birth_date": birth_date, "gender": gender})
    number = identifiers.normalize(id_number)
    if not _OTHER_ID.match(number):
        raise ApplicationError(_("证件号码应为5到20位字母或数字"), field="id_number")
    return (id_type, number, {})


def _check_identity_unique(actor: User, id_type: str, number: str, exclude: int | None) -> str:
    lookup = crypto.lookup_hash(f"{id_type}:{number}")
    existing = Customer.objects.filter(id_type=id_type, id_number_lookup=lookup)
    if exclude is not None:
        existing = existing.exclude(pk=exclude)
    found = existing.first()
    if found is None:
        return lookup
    # Name the existing customer only to someone allowed to see it.
    message: str | Promise
    if policy.customers_for(actor).filter(pk=found.pk).exists():
        message = _("该证件号码已登记在客户“%(name)s”(客户编号 %(id)s)名下") % {
            "name": found.name,
            "id": found.pk,
        }
    else:
        message = _("该证件号码已登记在其他部门的客户名下,请联系档案管理员")
    raise ApplicationError(message, field="id_number")


def _uscc(value: str, override_reason: str) -> str:
    if not value.strip():
        return ""
    try:
        return identifiers.validate_uscc(value, allow_bad_check=bool(override_reason.strip()))
    except identifiers.IdentifierError as exc:
        if exc.code == "uscc_check":
            raise ApplicationError(
                _("统一社会信用代码校验位不符;如确认代码真实有效,请填写确认理由后再提交"),
                field="uscc",
            ) from None
        raise ApplicationError(exc.message, field="uscc") from None


def _mobile(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return identifiers.validate_mobile(value)
    except identifiers.IdentifierError as exc:
        raise ApplicationError(exc.message, field="mobile") from None


def _owner_and_department(
    actor: User, owner: User | None, department: Department | None
) -> tuple[User, Department | None]:
    owner = owner or actor
    if not policy.assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ApplicationError(_("您无权把客户分配给该客户经理"), field="owner")
    if department is None:
        return owner, owner.department
    if policy.data_scope(actor) != Role.Scope.ALL and department.pk != owner.department_id:
        raise ApplicationError(_("所属部门须为客户经理所在部门"), field="department")
    return owner, department


def _clean_details(details: dict[str, Any], today: datetime.date | None = None) -> dict[str, Any]:
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise ValidationFailed({name: _("未知字段") for name in sorted(unknown)})
    cleaned = dict(details)
    for name, choices in _DETAIL_CHOICES:
        if cleaned.get(name) and cleaned[name] not in choices:
            raise ApplicationError(_("选项无效"), field=name)
    for name in ("registered_capital", "credit_limit"):
        value = cleaned.get(name)
        if value is not None and not isinstance(value, Decimal):
            raise ApplicationError(_("金额格式不正确"), field=name)
        if isinstance(value, Decimal) and value < 0:
            raise ApplicationError(_("金额不能为负数"), field=name)
    birth = cleaned.get("birth_date")
    if isinstance(birth, datetime.date) and birth > (today or timezone.localdate()):
        raise ApplicationError(_("出生日期不能晚于今天"), field="birth_date")
    return cleaned


def _customer_build(
    actor: User,
    *,
    kind: str,
    name: str,
    owner: User | None = None,
    department: Department | None = None,
    id_type: str = "",
    id_number: str = "",
    mobile: str = "",
    uscc: str = "",
    uscc_override_reason: str = "",
    owners: dict[int, tuple[User, Department | None]] | None = None,
    today: datetime.date | None = None,
    **details: Any,
) -> tuple[Customer, str]:
    """Validate a new customer without touching the database (but for the owner check,
    cached in `owners` by bulk callers, who also pass the date once as `today`); return
    it unsaved with its normalised ID number."""
    if kind not in _KINDS:
        raise ApplicationError(_("客户类型须为个人或单位"), field="kind")
    name = name.strip()
    if not name:
        raise ApplicationError(_("请填写客户名称"), field="name")
    id_type, number, derived = _identity(kind, id_type, id_number)
    cleaned = _clean_details(details, today)
    for key, value in derived.items():
        if not cleaned.get(key):
            cleaned[key] = value
    owner_key = (owner or actor).pk
    if owners is not None and department is None and owner_key in owners:
        owner, department = owners[owner_key]
    else:
        owner, department = _owner_and_department(actor, owner, department)
        if owners is not None and department == owner.department:
            owners[owner_key] = (owner, department)
    customer = bulk.new(
        Customer,
        kind=kind,
        name=name,
        id_type=id_type,
        mobile=_mobile(mobile),
        uscc=_uscc(uscc, uscc_override_reason) if kind == Customer.Kind.ORGANIZATION else "",
        uscc_override_reason=uscc_override_reason.strip() if uscc else "",
        owner=owner,
        department=department,
        created_by=actor,
        **{k: v for k, v in cleaned.items() if v is not None},
    )
    if uscc and kind != Customer.Kind.ORGANIZATION:
        raise ApplicationError(_("个人客户无需填写统一社会信用代码"), field="uscc")
    if number:
        customer.id_number_lookup = crypto.lookup_hash(f"{id_type}:{number}")
    return customer, number


def _created_event(customer: Customer) -> Event:
    return Event(
        "create",
        customer,
        detail={
            "kind": customer.kind,
            "owner": customer.owner.username,
            "uscc_override": bool(customer.uscc_override_reason),
        },
    )


def customer_validate(*, actor: User, **fields: Any) -> None:
    """Raise what customer_create would refuse in these fields, writing nothing (but for
    the uniqueness of the ID number, which only the creation checks)."""
    _customer_build(actor, **fields)


def customers_search(*, actor: User, filters: dict[str, Any]) -> QuerySet[Customer]:
    """The customers the actor may see that match `filters` (customer_list). A query in
    the list's filter box is a search, and every search is in the audit trail (SPEC C7),
    whether it comes from the page or the API."""
    audit_search(actor=actor, query=str(filters.get("q") or ""), filters=filters)
    return selectors.customer_list(actor, filters=filters)


@transaction.atomic
def customer_create(*, actor: User, **fields: Any) -> Customer:
    """Register one customer. `fields` are the model's: kind, name, owner, department,
    id_type, id_number, mobile, uscc (+ uscc_override_reason) and the DETAIL_FIELDS."""
    policy.require(actor, perms.CUSTOMER_CREATE)
    credit.refuse_credit_fields(actor, fields, None)
    customer, number = _customer_build(actor, **fields)
    if number:
        _check_identity_unique(actor, customer.id_type, number, None)
        _set_identity(customer, number)
    if customer.uscc and Customer.objects.filter(uscc=customer.uscc).exists():
        raise ApplicationError(_("该统一社会信用代码已登记在其他客户名下"), field="uscc")
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ApplicationError(_("该证件号码已登记在其他客户名下"), field="id_number") from None
    audit_record_many(actor=actor, events=[_created_event(customer)])
    search_services.index_after_commit(search_services.index_customer, customer.pk)
    return customer


@transaction.atomic
def customers_create_bulk(
    *,
    actor: User,
    rows: list[dict[str, Any]],
    looked_up: bool = False,
    ready: Callable[[], None] | None = None,
) -> list[Customer | ApplicationError]:
    """Register many customers at once (imports): the same checks as customer_create,
    row by row, but the uniqueness checks, the inserts, the audit entries and the index
    writes are one statement each for the whole list. Returns, per row, the saved
    customer or the error that refused it; refused rows leave nothing behind.

    `looked_up`: the caller has just found, in this transaction, that no customer holds
    these ID numbers or credit codes (the importer's per-batch lookup), so they are not
    looked up again; repeats within the list are still refused, and one registered
    meanwhile still is, by the unique indexes (the one-at-a-time fallback below).

    `ready`: called once the customers are built and checked, before anything is written
    (an import batch waits there for the batch before it to commit)."""
    policy.require(actor, perms.CUSTOMER_CREATE)
    owners: dict[int, tuple[User, Department | None]] = {}
    results: list[Customer | ApplicationError] = []
    numbers: dict[int, str] = {}
    today = timezone.localdate()
    for index, row in enumerate(rows):
        try:
            customer, number = _customer_build(actor, owners=owners, today=today, **row)
        except ApplicationError as exc:
            results.append(exc)
            continue
        results.append(customer)
        if number:
            numbers[index] = number
    _refuse_taken_identities(actor, results, look_up=not looked_up)
    fresh = [c for c in results if isinstance(c, Customer)]
    for index, number in numbers.items():
        built = results[index]
        if isinstance(built, Customer):
            _set_identity(built, number)
    if ready is not None:
        ready()
    try:
        with transaction.atomic():
            bulk.insert(Customer, fresh)
    except IntegrityError:
        # Someone registered one of these numbers meanwhile: fall back to one at a time,
        # which names the clash row by row.
        return [
            r if isinstance(r, ApplicationError) else _create_one(actor, rows[i])
            for i, r in enumerate(results)
        ]
    audit_record_many(actor=actor, events=[_created_event(c) for c in fresh])
    search_services.index_after_commit(search_services.index_new_customers, fresh)
    return results


def _create_one(actor: User, row: dict[str, Any]) -> Customer | ApplicationError:
    try:
        return customer_create(actor=actor, **row)
    except ApplicationError as exc:
        return exc


def _refuse_taken_identities(
    actor: User, results: list[Customer | ApplicationError], *, look_up: bool = True
) -> None:
    """Replace, in place, every customer whose ID number or USCC is already registered
    (or appears earlier in the list) by the error customer_create would raise; without
    `look_up`, only those that appear earlier in the list."""
    taken: dict[tuple[str, str], tuple[int, str]] = {}
    taken_codes: set[str] = set()
    visible: set[int] = set()
    if look_up:
        lookups = {c.id_number_lookup for c in results if isinstance(c, Customer)} - {""}
        codes = {c.uscc for c in results if isinstance(c, Customer)} - {""}
        if lookups:
            taken = {
                (id_type, lookup): (pk, name)
                for pk, id_type, lookup, name in Customer.objects.filter(
                    id_number_lookup__in=bulk.text_list(list(lookups))
                ).values_list("pk", "id_type", "id_number_lookup", "name")
            }
        if codes:
            taken_codes = set(
                Customer.objects.filter(uscc__in=bulk.text_list(list(codes))).values_list(
                    "uscc", flat=True
                )
            )
        if taken:
            visible = set(
                policy.customers_for(actor)
                .filter(pk__in=[pk for pk, _name in taken.values()])
                .values_list("pk", flat=True)
            )
    seen_ids: set[tuple[str, str]] = set()
    for index, customer in enumerate(results):
        if not isinstance(customer, Customer):
            continue
        key = (customer.id_type, customer.id_number_lookup)
        if customer.id_number_lookup and (key in taken or key in seen_ids):
            message: str | Promise = _("该证件号码已登记在其他部门的客户名下,请联系档案管理员")
            if key in seen_ids:
                message = _("该证件号码在本次导入中重复")
            elif taken[key][0] in visible:
                message = _("该证件号码已登记在客户“%(name)s”(客户编号 %(id)s)名下") % {
                    "name": taken[key][1],
                    "id": taken[key][0],
                }
            results[index] = ApplicationError(message, field="id_number")
            continue
        if customer.uscc and customer.uscc in taken_codes:
            results[index] = ApplicationError(
                _("该统一社会信用代码已登记在其他客户名下"), field="uscc"
            )
            continue
        seen_ids.add(key)
        if customer.uscc:
            taken_codes.add(customer.uscc)


def _set_identity(customer: Customer, number: str) -> None:
    customer.id_number_encrypted = crypto.encrypt(number)
    customer.id_last4_lookup = crypto.lookup_hash(number[-4:], purpose="last4")
    customer.id_last5_lookup = crypto.lookup_hash(number[-5:], purpose="last5")
    customer.id_last6_lookup = crypto.lookup_hash(number[-6:], purpose="last6")


# What a change of a customer may name besides the DETAIL_FIELDS (customer_update).
CHANGE_KEYS = frozenset(
    {
        "name",
        "mobile",
        "uscc",
        "uscc_override_reason",
        "owner",
        "department",
        "id_type",
        "id_number",
        *DETAIL_FIELDS,
    }
)


def check_change_keys(changes: dict[str, Any]) -> None:
    """Refuse, each by name, what a change of a customer may not name: the kind (a
    person does not become an organisation) and anything unknown."""
    errors: dict[str, Any] = {}
    for key in changes:
        if key == "kind":
            errors[key] = _("客户类型登记后不可修改")
        elif key not in CHANGE_KEYS:
            errors[str(key)[:40]] = _("未知字段或不可修改的字段")
    if errors:
        raise ValidationFailed(errors)


def flat_customer(customer: Customer, fields: Iterable[str]) -> dict[str, Any]:
    """The customer's current values of `fields` as customer_update takes them (the
    owner and department as objects, the identity number in clear)."""
    return {
        field: customer.id_number if field == "id_number" else getattr(customer, field)
        for field in fields
    }


def _shown(value: Any) -> Any:
    """A changed value as the history shows it: people and departments by name."""
    if isinstance(value, User | Department):
        return str(value)
    return value


@refusals_audited("change", "customer")
@transaction.atomic
def customer_update(
    *,
    actor: User,
    customer: Customer,
    changes: dict[str, Any],
    reason: str = "",
    propose: bool = False,
    change_request: ChangeRequest | None = None,
) -> Customer | ChangeRequest:
    """Change a customer's details, all or nothing, every check before any write; the
    audit entry lists every changed field, the change history each one's values.

    Change control (the types of the customer's dossiers; identity fields always need a
    reason): a change that needs a reason and has none is refused naming `reason`; one
    that needs approval (or is `propose`d) is returned as a pending ChangeRequest. With
    `change_request` (approved, from changes.services) it is applied in the approver's
    name (`actor`), the requester's permissions having been checked when it was asked."""
    check_change_keys(changes)
    if change_request is None:
        policy.access_customer(actor, customer.pk, action=perms.CUSTOMER_CHANGE)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if change_request is None:
        credit.refuse_credit_fields(actor, changes, customer)
    requested = dict(changes)
    old_number = customer.id_number
    old_values = flat_customer(customer, CHANGE_KEYS - {"id_number"})
    updates = _customer_updates(actor, customer, dict(changes))
    new_number = updates.pop("id_number", old_number)
    changed = sorted(
        [key for key, value in updates.items() if old_values[key] != value]
        + (["id_number"] if new_number != old_number else [])
    )
    if not changed:
        return customer
    rules = list(
        Dossier.objects.filter(customer=customer)
        .values_list("archive_type__change_control", flat=True)
        .distinct()
    )
    levels = {field: control.customer_level(rules, field) for field in changed}
    needed = control.APPROVAL if propose else control.strictest(levels.values())
    before = {k: _shown(old_values[k]) if k != "id_number" else old_number for k in changed}
    after = {k: _shown(updates[k]) if k != "id_number" else new_number for k in changed}
    if change_request is not None:
        reason = change_request.reason
    else:
        reason = change_services.require_reason(needed, reason)
    if change_request is None and needed == control.APPROVAL:
        return change_services.request_open(
            actor=actor,
            customer=customer,
            dossier=None,
            changes=requested,
            before={k: old_values[k] if k != "id_number" else old_number for k in changed},
            after={k: updates[k] if k != "id_number" else new_number for k in changed},
            reason=reason,
        )
    for key in changed:
        if key != "id_number":
            setattr(customer, key, updates[key])
    if {"id_number", "id_type"} & set(changed):
        if new_number:
            customer.id_number_lookup = _check_identity_unique(
                actor, customer.id_type, new_number, customer.pk
            )
            _set_identity(customer, new_number)
        else:
            customer.id_number_lookup = customer.id_last4_lookup = customer.id_last6_lookup = ""
            customer.id_last5_lookup = customer.id_number_encrypted = ""
    customer.save()
    # Identity numbers never enter the audit trail in clear text.
    detail: dict[str, Any] = {
        "before": {
            k: "***" if k == "id_number" else (None if v is None else str(v))
            for k, v in before.items()
        },
        "after": {
            k: "***" if k == "id_number" else (None if v is None else str(v))
            for k, v in after.items()
        },
    }
    if reason:
        detail["reason"] = reason
    if change_request is not None:
        detail["request"] = change_request.number
        detail["requested_by"] = change_request.requester.username
    if "name" in changed:
        # The dossiers titled with the old name show the new one (the reindex of the
        # customer below rewrites their search entries too).
        renamed = naming.titles_follow_rename(customer=customer, old_name=str(before["name"]))
        if renamed:
            detail["dossier_titles"] = renamed
    audit_record(actor=actor, action="change", obj=customer, detail=detail)
    change_services.record(
        changed_by=change_request.requester if change_request is not None else actor,
        customer=customer,
        dossier=None,
        before=before,
        after=after,
        levels=levels,
        reason=reason,
        approved_by=actor if change_request is not None else None,
        request=change_request,
    )
    search_services.index_after_commit(search_services.index_customer, customer.pk)
    return customer


def _customer_updates(actor: User, customer: Customer, changes: dict[str, Any]) -> dict[str, Any]:
    """The validated new values of the fields `changes` names (id_number in clear, when
    the identity document is named); nothing is set on the customer."""
    updates: dict[str, Any] = {}
    if "name" in changes:
        name = str(changes.pop("name")).strip()
        if not name:
            raise ApplicationError(_("请填写客户名称"), field="name")
        updates["name"] = name
    if "mobile" in changes:
        updates["mobile"] = _mobile(str(changes.pop("mobile") or ""))
    if "uscc" in changes or "uscc_override_reason" in changes:
        override = str(changes.pop("uscc_override_reason", customer.uscc_override_reason) or "")
        value = str(changes.pop("uscc", customer.uscc) or "")
        updates["uscc"] = (
            _uscc(value, override) if customer.kind == Customer.Kind.ORGANIZATION else ""
        )
        updates["uscc_override_reason"] = override.strip() if value else ""
        if (
            updates["uscc"]
            and Customer.objects.filter(uscc=updates["uscc"]).exclude(pk=customer.pk).exists()
        ):
            raise ApplicationError(_("该统一社会信用代码已登记在其他客户名下"), field="uscc")
    if "owner" in changes or "department" in changes:
        owner, department = _owner_and_department(
            actor, changes.pop("owner", customer.owner), changes.pop("department", None)
        )
        updates["owner"] = owner
        updates["department"] = department
    if "id_number" in changes or "id_type" in changes:
        id_type, number, _derived = _identity(
            customer.kind,
            str(changes.pop("id_type", customer.id_type) or ""),
            str(changes.pop("id_number", customer.id_number) or ""),
        )
        updates["id_type"] = id_type
        updates["id_number"] = number
        if number and (number != customer.id_number or id_type != customer.id_type):
            _check_identity_unique(actor, id_type, number, customer.pk)
    updates.update(_clean_details(changes))
    return updates


@transaction.atomic
def related_person_add(
    *,
    actor: User,
    customer: Customer,
    relation: str,
    name: str,
    title: str = "",
    mobile: str = "",
    id_number: str = "",
) -> RelatedPerson:
    """Record an agent, co-owner, guardian, emergency contact or contact person."""
    customer = policy.access_customer(actor, customer.pk, action=perms.CUSTOMER_CHANGE)
    if relation not in RelatedPerson.Relation.values:
        raise ApplicationError(_("关系类型无效"), field="relation")
    name = name.strip()
    if not name:
        raise ApplicationError(_("请填写姓名"), field="name")
    person = RelatedPerson(
        customer=customer,
        relation=relation,
        name=name[:64],
        title=title.strip()[:64],
        mobile=_mobile(mobile),
    )
    if id_number.strip():
        _id_type, number, _derived = _identity(Customer.Kind.INDIVIDUAL, "", id_number)
        person.id_number_encrypted = crypto.encrypt(number)
    person.save()
    audit_record(
        actor=actor,
        action="change",
        obj=customer,
        detail={"related_person_added": {"relation": relation, "name": person.name}},
    )
    search_services.index_after_commit(search_services.index_customer, customer.pk)
    return person


@transaction.atomic
def related_person_remove(*, actor: User, person: RelatedPerson) -> None:
    customer = policy.access_customer(actor, person.customer_id, action=perms.CUSTOMER_CHANGE)
    detail = {"related_person_removed": {"relation": person.relation, "name": person.name}}
    person.delete()
    audit_record(actor=actor, action="change", obj=customer, detail=detail)
    # The customer is found by its related persons' names: drop the removed one's.
    search_services.index_after_commit(search_services.index_customer, customer.pk)


def customer_open(*, actor: User, pk: Any) -> Customer:
    """A customer's record, opened for reading by `actor`: refused as the policy says,
    and on the record (STANDARDS 43: the audit covers who read personal information)."""
    customer = policy.access_customer(actor, pk)
    audit_record(actor=actor, action="view", obj=customer)
    return customer


def customer_unmask(*, actor: User, customer: Customer) -> dict[str, str]:
    """Reveal a customer's full identity number and phones, on purpose and on the record
    (STANDARDS 33: masked by default, unmasking permitted and logged)."""
    customer = policy.access_customer(actor, customer.pk)
    if not policy.can_unmask(actor) or policy.customer_fields_for(actor) is not None:
        raise Forbidden(_("您没有查看完整证件号码与电话的权限"))
    audit_record(
        actor=actor,
        action="unmask",
        obj=customer,
        detail={"fields": ["id_number", "mobile", "phone"]},
    )
    return {"id_number": customer.id_number, "mobile": customer.mobile, "phone": customer.phone}
