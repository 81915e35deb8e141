"""Deciding about the rows of a batch: which customer a row describes, what it
changes, and creating, updating and filing through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import keys as archive_keys
from dangan.archives import services as archive_services
from dangan.archives.models import ArchiveType, Dossier
from dangan.changes.models import ChangeRequest
from dangan.core import bulk, crypto, identifiers
from dangan.core.errors import ApplicationError, ValidationFailed
from dangan.customers import services as customer_services
from dangan.customers.models import Customer
from dangan.importer.services.parse import RowError, _label


def _row_key(data: dict[str, Any]) -> str:
    """What identifies the customer a row describes, the way _existing looks it up: the
    ID number, else the credit code, else name and mobile."""
    if data.get("id_number"):
        id_type = data.get("id_type") or Customer.IdType.RESIDENT_ID
        return f"id:{id_type}:{identifiers.normalize(data['id_number'])}"
    if data.get("uscc"):
        return _uscc_key(data["uscc"])
    return _name_mobile_key(data.get("name", ""), data.get("mobile", ""))


# The field a duplicate row is reported on, by the kind of its key (before the colon).
_KEY_FIELDS = {"id": "id_number", "uscc": "uscc", "nm": "mobile"}


def _uscc_key(uscc: str) -> str:
    return f"uscc:{identifiers.normalize(uscc)}"


def _name_mobile_key(name: Any, mobile: Any) -> str:
    return f"nm:{str(name).strip()}:{identifiers.normalize(mobile)}"


def _note(seen: dict[str, int], data: dict[str, Any], row_number: int) -> None:
    """Note a row's keys in `seen` (key → first row). Besides its own key (_row_key), the
    credit code and the name with mobile it carries: a later row without an ID number
    (or without a credit code) that names them describes the same customer, and is a
    duplicate of this row wherever the batches happen to split the sheet. (Looking it up
    instead would find the customer only once this row's batch had committed.)"""
    seen.setdefault(_row_key(data), row_number)
    if data.get("uscc"):
        seen.setdefault(_uscc_key(data["uscc"]), row_number)
    if data.get("name") and data.get("mobile"):
        seen.setdefault(_name_mobile_key(data["name"], data["mobile"]), row_number)


def _note_found(seen: dict[str, int], customer: Customer, row_number: int) -> None:
    """Note, for a row that names a registered customer, the customer's credit code and
    name with mobile as they are stored: a later row without an ID number that names the
    customer by them describes the same customer, even where this row changes them (a
    new mobile). Otherwise that later row would register the customer a second time in
    a sequential import (this row's change has committed, the old mobile finds nobody),
    and in lanes (_in_lanes) would change the customer back (it still finds the
    customer as it was). Not on a resume: the committed rows' customers have changed
    already, and their stored keys are gone (_after notes the rows' own)."""
    if customer.uscc:
        seen.setdefault(_uscc_key(customer.uscc), row_number)
    if customer.name and customer.mobile:
        seen.setdefault(_name_mobile_key(customer.name, customer.mobile), row_number)


def _id_lookup(data: dict[str, Any]) -> tuple[str, str]:
    id_type = data.get("id_type") or Customer.IdType.RESIDENT_ID
    return id_type, crypto.lookup_hash(f"{id_type}:{identifiers.normalize(data['id_number'])}")


def _existing(data: dict[str, Any], batch: _Batch) -> Customer | None:
    """The customer this row describes: by ID number (keyed hash), USCC, or name+mobile,
    all looked up once per batch (_Batch.prefetch)."""
    if data.get("id_number"):
        return batch.known.get(batch.id_lookup(data))
    if data.get("uscc"):
        return batch.by_uscc.get(identifiers.normalize(data["uscc"]))
    if data.get("name") and data.get("mobile"):
        key = (data["name"].strip(), identifiers.normalize(data["mobile"]))
        return batch.by_name_mobile.get(key)
    return None


def _changes(customer: Customer, data: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value in the row differs from the record (blank cells keep it)."""
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if field in ("kind", "id_type", "id_number", "fields", "archive_type"):
            continue
        current = getattr(customer, field)
        if field == "owner":
            if current.pk != value.pk:
                changes[field] = value
            continue
        if field in ("mobile", "uscc"):
            value = identifiers.normalize(value)
        if current != value:
            changes[field] = value
    return changes


class _Batch:
    """What one batch needs to look up only once: archive types, owners, the customers
    its ID numbers already belong to, which of those the actor may see, and which of
    them already have a dossier of a type."""

    def __init__(
        self,
        actor: User,
        default_type: ArchiveType | None,
        gate: Callable[[], None] = lambda: None,
    ) -> None:
        self.actor = actor
        self.default_type = default_type
        # Called before the batch writes anything (see _in_lanes).
        self.gate = gate
        self.types: dict[str, ArchiveType | None] = {}
        self.owners: dict[str, User | None] = {}
        self.known: dict[tuple[str, str], Customer] = {}
        self.by_uscc: dict[str, Customer] = {}
        self.by_name_mobile: dict[tuple[str, str], Customer] = {}
        self.visible: set[int] = set()
        self.known_ids: set[int] = set()
        self.filed: set[tuple[int, int]] = set()
        self.lookups: dict[tuple[str, str], tuple[str, str]] = {}
        # Business keys (VIN, unit …) of the dossiers the batch will file (一车一档).
        self.keys: set[tuple[int, str, str]] = set()

    def prefetch(self, parsed: list[dict[str, Any]]) -> None:
        """The customers the batch's rows describe, in three queries instead of one or
        two a row: by ID number hash, by credit code, by name and mobile."""
        lookups = [self.id_lookup(d)[1] for d in parsed if d.get("id_number")]
        codes = [identifiers.normalize(d["uscc"]) for d in parsed if d.get("uscc")]
        mobiles = [
            identifiers.normalize(d["mobile"])
            for d in parsed
            if not d.get("id_number") and not d.get("uscc") and d.get("mobile")
        ]
        found: list[Customer] = []
        if lookups:
            found += Customer.objects.filter(id_number_lookup__in=bulk.text_list(lookups))
        if codes:
            found += Customer.objects.filter(uscc__in=bulk.text_list(codes))
        if mobiles:
            found += Customer.objects.filter(mobile__in=bulk.text_list(mobiles))
        if not found:
            return
        for c in found:
            if c.id_number_lookup:
                self.known[(c.id_type, c.id_number_lookup)] = c
            if c.uscc:
                self.by_uscc[c.uscc] = c
            self.by_name_mobile.setdefault((c.name, c.mobile), c)
        ids = list({c.pk for c in found})
        self.known_ids = set(ids)
        self.visible = set(
            policy.customers_for(self.actor).filter(pk__in=ids).values_list("pk", flat=True)
        )
        self.filed = set(
            Dossier.objects.filter(customer_id__in=ids).values_list(
                "customer_id", "archive_type_id"
            )
        )

    def id_lookup(self, data: dict[str, Any]) -> tuple[str, str]:
        """_id_lookup of a row, computed once for prefetch and _existing."""
        key = (str(data.get("id_type") or ""), str(data["id_number"]))
        if key not in self.lookups:
            self.lookups[key] = _id_lookup(data)
        return self.lookups[key]

    def archive_type(self, value: str) -> ArchiveType | None:
        if not value:
            return self.default_type
        if value not in self.types:
            self.types[value] = ArchiveType.objects.filter(code=value).first() or (
                ArchiveType.objects.filter(name=value).first()
            )
        found = self.types[value]
        if found is None:
            raise ApplicationError(
                _("未知的档案类型“%(code)s”") % {"code": value}, field="archive_type"
            )
        return found

    def owner(self, value: str) -> User:
        if value not in self.owners:
            self.owners[value] = (
                User.objects.filter(is_active=True, username=value).first()
                or User.objects.filter(is_active=True, full_name=value).first()
            )
        found = self.owners[value]
        if found is None:
            raise ApplicationError(_("找不到客户经理“%(name)s”") % {"name": value}, field="owner")
        return found

    def has_dossier(self, customer: Customer, atype: ArchiveType) -> bool:
        if customer.pk in self.known_ids:
            return (customer.pk, atype.pk) in self.filed
        return Dossier.objects.filter(customer=customer, archive_type=atype).exists()

    def may_see(self, customer: Customer) -> bool:
        if customer.pk in self.visible:
            return True
        return policy.customers_for(self.actor).filter(pk=customer.pk).exists()


@dataclass
class _NewRow:
    """A row that registers a customer, with what its dossier needs."""

    entry: dict[str, Any]
    data: dict[str, Any]
    atype: ArchiveType | None
    custom: dict[str, Any]


def _prepare_row(
    batch: _Batch, data: dict[str, Any]
) -> tuple[Customer | None, ArchiveType | None, dict[str, Any]]:
    """Resolve a row's archive type and owner and find the customer it describes; a new
    customer's dossier fields are checked now, so customer and dossier stand or fall
    together although both are created in bulk later."""
    atype = batch.archive_type(str(data.pop("archive_type", "") or ""))
    if not data.get("name"):
        raise ApplicationError(_("请填写客户名称"), field="name")
    if isinstance(data.get("owner"), str):
        data["owner"] = batch.owner(data["owner"])
    custom = data.pop("fields", None) or {}
    customer = _existing(data, batch)
    if customer is None:
        data["kind"] = data.pop("kind", "") or (
            Customer.Kind.ORGANIZATION if data.get("uscc") else Customer.Kind.INDIVIDUAL
        )
        if atype is not None:
            try:
                archive_services.dossier_validate(
                    actor=batch.actor,
                    customer=Customer(kind=data["kind"], name=data["name"].strip()),
                    archive_type=atype,
                    fields=custom,
                )
                archive_keys.claim_in(batch.keys, atype, custom)
            except ApplicationError as refused:
                raise _with_customer_errors(batch, data, atype, refused) from refused
    return customer, atype, custom


def _with_customer_errors(
    batch: _Batch, data: dict[str, Any], atype: ArchiveType, refused: ApplicationError
) -> RowError:
    """A new customer's row whose dossier is refused: what is wrong with the customer
    too (a bad ID check digit, say), so that the clerk mends the row in one go. Only
    for refused rows: a valid one is checked once, when it is created."""
    errors: list[dict[str, str]] = []
    try:
        customer_services.customer_validate(actor=batch.actor, **data)
    except ApplicationError as exc:
        errors = _errors_of(exc)
    return RowError(errors + _errors_of(refused, atype), data["name"])


def _update_row(
    batch: _Batch,
    customer: Customer,
    data: dict[str, Any],
    atype: ArchiveType | None,
    custom: dict[str, Any],
) -> tuple[str, list[str]]:
    """A row of a customer already registered: change what differs, file the dossier of
    the type if it has none; return the outcome."""
    actor = batch.actor
    if not batch.may_see(customer):
        raise ApplicationError(
            _("该客户已登记在其他部门的客户名下,请联系档案管理员"), field="id_number"
        )
    if customer.name != data["name"].strip():
        raise ApplicationError(
            _("与已有客户重复:证件已登记在客户“%(name)s”(客户编号 %(id)s)名下")
            % {"name": customer.name, "id": customer.pk},
            field="id_number",
        )
    changes = _changes(customer, data)
    outcome = "unchanged"
    notes: list[str] = []
    # The type of the dossier to file, if the customer has none of it yet.
    to_file = atype if atype is not None and not batch.has_dossier(customer, atype) else None
    if changes or to_file is not None:
        batch.gate()
    if changes:
        # A filed customer's data changes with a reason (change control): the import's.
        result = customer_services.customer_update(
            actor=actor, customer=customer, changes=changes, reason=gettext("Excel/CSV 导入更新")
        )
        outcome = "updated"
        notes = [_label(key) for key in changes]
        if isinstance(result, ChangeRequest):
            notes.append(gettext("须审批,已提交修改申请 %(n)s") % {"n": result.number})
    if to_file is not None:
        archive_services.dossier_create(
            actor=actor, customer=customer, archive_type=to_file, fields=custom
        )
        notes.append(gettext("已建档:%(type)s") % {"type": to_file.name})
        if outcome == "unchanged":
            outcome = "updated"
    return outcome, notes


def _create_rows(batch: _Batch, rows: list[_NewRow], *, kept: bool) -> None:
    """Register the batch's new customers, then their dossiers, in bulk; the report names
    each new customer's id if the batch is `kept` (not a dry run, rolled back)."""
    if not rows:
        return
    results = customer_services.customers_create_bulk(
        actor=batch.actor, rows=[row.data for row in rows], looked_up=True, ready=batch.gate
    )
    filing: list[tuple[_NewRow, Customer]] = []
    for row, result in zip(rows, results, strict=True):
        if isinstance(result, ApplicationError):
            row.entry.update(status="error", errors=_errors_of(result))
            continue
        row.entry["status"] = "created"
        if kept:
            row.entry["customer"] = result.pk
        if row.atype is not None:
            filing.append((row, result))
    if not filing:
        return
    dossiers = archive_services.dossiers_create_bulk(
        actor=batch.actor,
        items=[(customer, row.atype, row.custom) for row, customer in filing if row.atype],
    )
    for (row, _customer), dossier in zip(filing, dossiers, strict=True):
        if isinstance(dossier, ApplicationError):
            # Checked before the customer was created: reaching this is a bug or a race,
            # and the batch must not keep a customer without its dossier.
            raise RuntimeError(f"row {row.entry['row']}: {dossier.message}")
        row.entry["notes"] = [gettext("已建档:%(type)s") % {"type": dossier.archive_type.name}]


def _errors_of(exc: ApplicationError, atype: ArchiveType | None = None) -> list[dict[str, str]]:
    """The report's errors of a refusal: each under its column's name, a dossier field
    (`fields.vin`) under its label in `atype` (车架号)."""
    labels = {f"fields.{spec['key']}": str(spec["label"]) for spec in _schema(atype)}
    if isinstance(exc, ValidationFailed):
        return [
            {"field": labels.get(k) or _label(k), "message": str(m)} for k, m in exc.errors.items()
        ]
    field = exc.field or ""
    return [{"field": labels.get(field) or _label(field), "message": str(exc.message)}]


def _schema(atype: ArchiveType | None) -> list[dict[str, Any]]:
    return atype.field_schema() if atype is not None else []
