"""Importing customers (and their first dossier of a type) from a sheet.

Every row goes through customer_create / customer_update / dossier_create, so an
imported customer is validated and audited exactly like one typed in. Rows are handled
in batches; a batch, its report and the job's counters commit together, so a crash or
`kill -9` leaves whole batches only and the report names the rows that were committed.
The sheet is read and its cells turned into values in a child process meanwhile
(pipeline.py); everything that decides about a row happens here.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import datetime
import functools
import gc
import hashlib
import itertools
import queue
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import fields as archive_fields
from dangan.archives import services as archive_services
from dangan.archives.models import ArchiveType, Dossier
from dangan.audit.services import audit_record
from dangan.core import bulk, crypto, identifiers
from dangan.core.errors import ApplicationError, InvalidTransition, NotFound, ValidationFailed
from dangan.customers import services as customer_services
from dangan.customers.models import Customer
from dangan.importer import pipeline, readers
from dangan.importer.models import ColumnMapping, ImportBatch, ImportJob
from dangan.search import services as search_services

# Rows per transaction: BATCH_SIZE, or a tenth of a larger sheet up to MAX_BATCH_SIZE. Every
# batch rewrites the index pages its rows touch, and the keyed ID hashes put those all
# over the indexes, so a larger batch writes each page once for more rows (100,000 rows
# into SQLite: 3,900-4,100 rows/s in 10,000-row batches, 3,400-3,600 in 2,000-row ones).
# The progress still moves ten times, and a crash loses at most one batch.
BATCH_SIZE = 2000
MAX_BATCH_SIZE = 10_000
IGNORE = ""

# Target field → (label, header spellings recognised without a remembered mapping).
TARGETS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": (_("名称"), ("名称", "客户名称", "姓名", "客户姓名", "单位名称", "客户")),
    "kind": (_("客户类型"), ("客户类型", "类型")),
    "id_type": (_("证件类型"), ("证件类型",)),
    "id_number": (_("证件号码"), ("证件号码", "证件号", "身份证号", "身份证号码", "身份证")),
    "uscc": (_("统一社会信用代码"), ("统一社会信用代码", "信用代码", "社会信用代码")),
    "mobile": (_("手机号码"), ("手机号码", "手机", "手机号", "联系电话", "移动电话")),
    "phone": (_("其他电话"), ("其他电话", "固定电话", "电话", "座机")),
    "gender": (_("性别"), ("性别",)),
    "birth_date": (_("出生日期"), ("出生日期", "生日")),
    "address": (_("地址"), ("地址", "住址", "联系地址", "通讯地址")),
    "email": (_("电子邮箱"), ("电子邮箱", "邮箱", "email", "e-mail")),
    "legal_representative": (_("法定代表人"), ("法定代表人", "法人", "法人代表")),
    "industry": (_("所属行业"), ("所属行业", "行业")),
    "scale": (_("规模"), ("规模",)),
    "tier": (_("客户等级"), ("客户等级", "等级")),
    "stage": (_("客户阶段"), ("客户阶段", "阶段")),
    "category": (_("客户性质"), ("客户性质", "性质")),
    "credit_rating": (_("信用等级"), ("信用等级",)),
    "registered_capital": (_("注册资本(万元)"), ("注册资本", "注册资本(万元)")),
    "credit_limit": (_("信用额度(元)"), ("信用额度", "信用额度(元)")),
    "remarks": (_("备注"), ("备注", "说明")),
    "owner": (_("客户经理"), ("客户经理", "负责人", "经办人")),
    "archive_type": (_("档案类型"), ("档案类型", "档案类型代码")),
}
_CHOICES = {
    "kind": Customer.Kind,
    "id_type": Customer.IdType,
    "gender": Customer.Gender,
    "tier": Customer.Tier,
    "stage": Customer.Stage,
    "category": Customer.Category,
}
_DATES = {"birth_date"}
_DECIMALS = {"registered_capital", "credit_limit"}
_DIGIT_FIELDS = {"id_number", "uscc", "mobile", "phone"}


def targets(archive_type: ArchiveType | None) -> list[tuple[str, str]]:
    """The choices of the mapping dropdowns: customer fields, then the type's own fields."""
    choices = [(key, str(label)) for key, (label, _aliases) in TARGETS.items()]
    if archive_type is not None:
        for spec in archive_type.field_schema():
            choices.append((f"field:{spec['key']}", f"{archive_type.name}·{spec['label']}"))
    return choices


def header_signature(headers: list[str]) -> str:
    joined = "\x1f".join(identifiers.normalize(h).lower() for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: list[str], archive_type: ArchiveType | None) -> dict[str, str]:
    """The remembered mapping for this header row, else one guessed from the headers."""
    remembered = ColumnMapping.objects.filter(signature=header_signature(headers)).first()
    if remembered is not None:
        return {h: str(remembered.mapping.get(h, IGNORE)) for h in headers}
    aliases: dict[str, str] = {}
    for key, (_label, spellings) in TARGETS.items():
        for spelling in spellings:
            aliases.setdefault(identifiers.normalize(spelling).lower(), key)
    if archive_type is not None:
        for spec in archive_type.field_schema():
            aliases.setdefault(identifiers.normalize(spec["label"]).lower(), f"field:{spec['key']}")
            aliases.setdefault(spec["key"].lower(), f"field:{spec['key']}")
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = aliases.get(identifiers.normalize(header).lower(), IGNORE)
        if key and key in used:
            key = IGNORE
        used.add(key)
        mapping[header] = key
    return mapping


def mapping_remember(headers: list[str], mapping: dict[str, str]) -> None:
    ColumnMapping.objects.update_or_create(
        signature=header_signature(headers), defaults={"headers": headers, "mapping": mapping}
    )


# --- the stored file ------------------------------------------------------------------


def _store_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ImportJob) -> Path:
    return _store_dir() / job.sha256


def file_store(chunks: Iterable[bytes]) -> str:
    """Store an upload content-addressed (SHA-256) under the data dir; return the digest."""
    digest = hashlib.sha256()
    tmp = (
        _store_dir() / f".upload-{id(chunks)}-{datetime.datetime.now(tz=datetime.UTC).timestamp()}"
    )
    with tmp.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    final = _store_dir() / digest.hexdigest()
    if final.exists():
        tmp.unlink()
    else:
        shutil.move(tmp, final)
    return digest.hexdigest()


def _archive_type(code: str) -> ArchiveType | None:
    if not code:
        return None
    found = ArchiveType.objects.filter(code=code.strip()).first()
    if found is None:
        raise ApplicationError(_("未知的档案类型“%(code)s”") % {"code": code}, field="archive_type")
    return found


@transaction.atomic
def import_job_create(
    *,
    actor: User,
    upload: UploadedFile[bytes] | None = None,
    path: Path | None = None,
    name: str = "",
    archive_type: str = "",
    dry_run: bool = True,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Store the file, check that it can be read, and record a pending job."""
    policy.require(actor, perms.DATA_IMPORT)
    policy.require(actor, perms.CUSTOMER_CREATE)
    atype = _archive_type(archive_type)
    if upload is not None:
        sha = file_store(upload.chunks())
        name = upload.name or "upload"
    elif path is not None:
        sha = file_store(_read_chunks(path))
        name = name or path.name
    else:
        raise ApplicationError(_("请选择要导入的文件"), field="file")
    job = ImportJob(
        sha256=sha,
        original_name=name[:200],
        archive_type=atype.code if atype else "",
        dry_run=dry_run,
        created_by=actor,
    )
    sheet = readers.open_sheet(job_file(job), job.original_name)
    job.mapping = mapping or guess_mapping(sheet.headers, atype)
    job.total_rows = sheet.total
    job.save()
    return job


def _read_chunks(path: Path) -> Iterable[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
    except OSError:
        raise ApplicationError(_("无法读取文件"), field="file") from None


def job_for(actor: User, job_id: Any) -> ImportJob:
    """A job is seen by the user who started it; anyone else is told it does not exist."""
    policy.require(actor, perms.DATA_IMPORT)
    try:
        key = int(job_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    job = ImportJob.objects.filter(pk=key, created_by=actor).first()
    if job is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return job


@transaction.atomic
def import_job_commit(*, actor: User, job: ImportJob) -> ImportJob:
    """After a dry run: a new job for the same file and mapping that writes."""
    job = job_for(actor, job.pk)
    if job.status != ImportJob.Status.DONE or not job.dry_run:
        raise ApplicationError(_("只能在试导入完成后确认导入"))
    return ImportJob.objects.create(
        sha256=job.sha256,
        original_name=job.original_name,
        archive_type=job.archive_type,
        mapping=job.mapping,
        dry_run=False,
        total_rows=job.total_rows,
        created_by=actor,
    )


# --- one row ----------------------------------------------------------------------------


class RowError(Exception):
    """A row refused with all it got wrong, and the name it gives (for the report). It
    crosses from the sheet reader's process: pickled by its args."""

    def __init__(self, errors: list[dict[str, str]], name: str = "") -> None:
        super().__init__(errors, name)
        self.errors = errors
        self.name = name


def _label(field: str) -> str:
    if field in TARGETS:
        return str(TARGETS[field][0])
    return field


def _cell_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if field in _DIGIT_FIELDS:
        text = text.lstrip("'")
    return text


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = readers.excel_serial_date(float(value))
        if found is None:
            raise ValueError(value)
        return found
    text = identifiers.normalize(str(value))
    if text.isdigit() and len(text) == 5:
        found = readers.excel_serial_date(float(text))
        if found is not None:
            return found
    return archive_fields.parse_date(text)


def _choice(field: str, text: str) -> str:
    choices = _CHOICES[field]
    if text in choices.values:
        return text
    with translation.override("zh-hans"):
        by_label = {str(label): value for value, label in choices.choices}
    if text in by_label:
        return by_label[text]
    with translation.override("en"):
        by_label = {str(label).lower(): value for value, label in choices.choices}
    if text.lower() in by_label:
        return by_label[text.lower()]
    raise ValueError(text)


def _parse_row(values: list[Any], headers: list[str], mapping: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for header, raw in zip(headers, values, strict=True):
        field = mapping.get(header, IGNORE)
        if not field:
            continue
        if field.startswith("field:"):
            key = field.removeprefix("field:")
            if isinstance(raw, int | float | datetime.date) and not isinstance(raw, bool):
                # Dates in a type's date fields may be real Excel dates or serial numbers.
                try:
                    custom[key] = _date(raw).isoformat()
                    continue
                except ValueError:
                    pass
            custom[key] = _cell_text(raw, field)
            continue
        text = _cell_text(raw, field)
        if not text:
            continue
        try:
            if field in _DATES:
                data[field] = _date(raw if not isinstance(raw, str) else text)
            elif field in _DECIMALS:
                data[field] = Decimal(text.replace(",", ""))
            elif field in _CHOICES:
                data[field] = _choice(field, text)
            else:
                data[field] = text
        except (ValueError, InvalidOperation):
            message = (
                gettext("日期格式无法识别:“%(value)s”")
                if field in _DATES
                else gettext("取值无效:“%(value)s”")
            ) % {"value": text}
            errors.append({"field": _label(field), "message": message})
    if errors:
        raise RowError(errors, str(data.get("name", "")))
    if custom:
        data["fields"] = custom
    return data


Parsed = dict[str, Any] | RowError


def _parse_or_error(values: list[Any], headers: list[str], *, mapping: dict[str, str]) -> Parsed:
    """_parse_row for the reader (pipeline.parsed_sheet): a refused row is a value."""
    try:
        return _parse_row(values, headers, mapping)
    except RowError as exc:
        return exc


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
        customer_services.customer_update(actor=actor, customer=customer, changes=changes)
        outcome = "updated"
        notes = [_label(key) for key in changes]
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


# --- the job ----------------------------------------------------------------------------

Progress = Callable[[ImportJob], None]
OUTCOMES = ("created", "updated", "unchanged", "error")  # of a row, counted per job


def _actor(job: ImportJob) -> User:
    # Roles prefetched once: every service call (and every audit entry) reads them.
    return User.objects.prefetch_related("roles").get(pk=job.created_by_id)


STALE_AFTER = datetime.timedelta(minutes=5)  # a running job without progress this long died
STATISTICS_AFTER = 10_000  # rows committed by one job: the planner's statistics are redone


def batch_size_for(total_rows: int) -> int:
    """Rows per batch for a sheet of `total_rows` (see BATCH_SIZE)."""
    return min(MAX_BATCH_SIZE, max(BATCH_SIZE, total_rows // 10))


def import_run(
    *, job: ImportJob, batch_size: int | None = None, progress: Progress | None = None
) -> ImportJob:
    """Run a job to the end. Each batch of rows commits with its report and the job's
    counters; a batch that fails unexpectedly is rolled back whole and the job stops.

    A job that already committed batches (it failed, or its process was killed) goes on
    after the last committed row: those rows are only read again to recognise later
    duplicates of them, and their reports are kept."""
    try:
        return _import(job, batch_size, progress)
    finally:
        # Each batch froze what it found alive (_run_batch); the collector gets it back
        # once the job is recorded, not while the job runs.
        gc.unfreeze()


def _import(job: ImportJob, batch_size: int | None, progress: Progress | None) -> ImportJob:
    actor = _actor(job)
    kept = list(job.batches.filter(committed=True).order_by("number")) if not job.dry_run else []
    ImportBatch.objects.filter(job=job).exclude(pk__in=[b.pk for b in kept]).delete()
    counts = dict.fromkeys(OUTCOMES, 0)
    for done in kept:
        for row in done.rows:
            counts[row.get("status", "error")] += 1
    committed: list[list[int]] = [[b.first_row, b.last_row] for b in kept]
    resume_after = kept[-1].last_row if kept else 0
    if kept:
        # The index entries of the last committed batches may not have been written
        # before the process died (they follow the commit).
        _index_batches([done for done in kept if not done.indexed])
    job.status = ImportJob.Status.RUNNING
    job.error = ""
    job.processed_rows = sum(b.last_row - b.first_row + 1 for b in kept)
    job.error_rows = counts["error"]
    job.committed_rows = job.processed_rows - counts["error"]
    job.save(
        update_fields=[
            "status",
            "error",
            "processed_rows",
            "committed_rows",
            "error_rows",
            "updated_at",
        ]
    )
    try:
        atype = _archive_type(job.archive_type)
        parse = functools.partial(_parse_or_error, mapping=job.mapping)
        with (
            pipeline.parsed_sheet(job_file(job), job.original_name, parse) as sheet,
            bulk.page_cache(),
            bulk.deferred_checkpoints(),
            search_services.index_in_background(),
        ):
            job.total_rows = sheet.total
            size = batch_size or batch_size_for(sheet.total)
            seen: dict[str, int] = {}
            rows = _after(sheet.rows, resume_after, seen)

            def finished(batch: list[tuple[int, Parsed]], batch_counts: dict[str, int]) -> None:
                for key, value in batch_counts.items():
                    counts[key] += value
                if not job.dry_run:
                    committed.append([batch[0][0], batch[-1][0]])
                if progress:
                    progress(job)

            numbered = enumerate(_batches(rows, size), start=len(kept) + 1)
            if _lanes_possible():
                _in_lanes(job, actor, atype, numbered, seen, finished)
            else:
                for number, batch in numbered:
                    finished(batch, _run_batch(job, actor, atype, batch, number, seen))
    except ApplicationError as exc:
        return _fail(job, str(exc.message), counts, committed)
    except Exception as exc:
        return _fail(job, f"{type(exc).__name__}: {exc}", counts, committed)
    job.total_rows = job.processed_rows
    if not job.dry_run and job.committed_rows >= STATISTICS_AFTER and bulk.needs_statistics():
        bulk.refresh_statistics()
    job.status = ImportJob.Status.DONE
    job.report = {"counts": counts, "committed": committed, "dry_run": job.dry_run}
    if kept:
        job.report["resumed_after_row"] = resume_after
    job.save(update_fields=["status", "total_rows", "report", "updated_at"])
    if progress:
        progress(job)
    return job


def _batch_indexed(batch_id: int) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(indexed=True)


def _index_batches(batches: list[ImportBatch]) -> None:
    """Write the search entries of these committed batches' customers, and note it."""
    if not batches:
        return
    customers = [row["customer"] for done in batches for row in done.rows if "customer" in row]
    search_services.index_customers(customers)
    ImportBatch.objects.filter(pk__in=[done.pk for done in batches]).update(indexed=True)


def import_index_pending() -> int:
    """Write the search entries that a dead import never wrote: those of the committed
    batches of jobs not running (failed, or killed: running without progress for
    STALE_AFTER) whose entries were still to follow their commit. `dangan worker` (which
    `dangan serve` starts) calls it as it starts, so the customers of an import killed
    and never resumed are found again. Returns how many batches it indexed."""
    live = ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, updated_at__gte=timezone.now() - STALE_AFTER
    )
    pending = list(ImportBatch.objects.filter(committed=True, indexed=False).exclude(job__in=live))
    _index_batches(pending)
    return len(pending)


def _after(
    rows: Iterable[tuple[int, Parsed]], resume_after: int, seen: dict[str, int]
) -> Iterator[tuple[int, Parsed]]:
    """The rows after `resume_after`. The ones up to it were committed before a resume:
    their keys are noted in `seen`, so a later copy is still reported as a duplicate."""
    for row_number, data in rows:
        if row_number > resume_after:
            yield row_number, data
        elif not isinstance(data, RowError):
            _note(seen, data, row_number)


def _batches(rows: Iterable[tuple[int, Parsed]], size: int) -> Iterator[list[tuple[int, Parsed]]]:
    """`rows` in lists of `size`, the last one shorter (itertools.batched, Python 3.12)."""
    it = iter(rows)
    while batch := list(itertools.islice(it, size)):
        yield batch


def job_resumable(job: ImportJob) -> bool:
    """Failed, or running without progress for STALE_AFTER (its process was killed)."""
    if job.status == ImportJob.Status.FAILED:
        return True
    stale = timezone.now() - STALE_AFTER
    return job.status == ImportJob.Status.RUNNING and job.updated_at < stale


@transaction.atomic
def import_job_resume(*, actor: User, job: ImportJob) -> ImportJob:
    """Queue a failed or dead job again; it goes on after its last committed batch."""
    job = job_for(actor, job.pk)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job_resumable(job):
        raise InvalidTransition(_("只有失败或已中断的导入任务可以继续"))
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="import_resume",
        obj=job,
        detail={"after_row": job.committed_rows, "file": job.original_name},
    )
    return job


def _fail(
    job: ImportJob, message: str, counts: dict[str, int], committed: list[list[int]]
) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.error = message[:2000]
    job.report = {
        "counts": counts,
        "committed": committed,
        "dry_run": job.dry_run,
        "stopped_after_row": committed[-1][1] if committed else None,
    }
    job.save(update_fields=["status", "error", "report", "updated_at"])
    return job


# --- two batches at once (PostgreSQL) ---------------------------------------------------

LANES = 2  # batches in progress at once: one checking its rows while the other writes


@dataclass
class _Turn:
    """How far a batch running in a lane has got, for the batch after it (_in_lanes)."""

    # Its rows are in `seen`; it has committed or rolled back; it committed.
    checked: threading.Event = dataclasses.field(default_factory=threading.Event)
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)
    ok: bool = False

    def end(self, *, ok: bool) -> None:
        self.ok = ok
        self.checked.set()
        self.ended.set()


class _Stopped(Exception):
    """The batch before this one failed: this one writes nothing and is rolled back."""


def _lanes_possible() -> bool:
    """Batches run in lanes on PostgreSQL, outside a transaction (each lane's connection
    commits on its own). SQLite has one writer at a time."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _in_lanes(
    job: ImportJob,
    actor: User,
    atype: ArchiveType | None,
    numbered: Iterable[tuple[int, list[tuple[int, Parsed]]]],
    seen: dict[str, int],
    done: Callable[[list[tuple[int, Parsed]], dict[str, int]], None],
) -> None:
    """Run the batches two at a time, each in a thread and transaction of its own, and
    hand each one's counts to `done`, in order.

    A batch spends about half its time in Python (checking its rows, encrypting, hashing,
    building the customers, entries and index tokens) and half waiting for PostgreSQL
    (the COPY into tables with a dozen indexes, the commit). In lanes, a batch does its
    Python part while the one before it writes, so the two overlap instead of taking
    turns. The order of a sequential import is kept:
    - a batch checks its rows only once the batch before has checked its own (duplicates
      within the sheet are found through `seen`, in row order);
    - a batch writes nothing until the one before has committed (`_Batch.gate`), so the
      batches commit one at a time, in order, and no two wait for each other's locks
      (the audit trail's head, the numbering);
    - if a batch fails, the one after it is stopped at its gate and rolled back: the
      committed batches are always the first ones, which is what a resume relies on.
    Reading before the batch before has committed is safe: a row of this batch that
    names a customer a row before it describes (by ID number, credit code, or name and
    mobile, as the row gives them or as they were stored: _note, _note_found) is a
    duplicate in `seen`, whatever that row has changed."""
    writer = search_services.index_writer()
    pending: collections.deque[tuple[Future[dict[str, int]], list[tuple[int, Parsed]]]]
    pending = collections.deque()
    before: _Turn | None = None
    lanes = _LaneThreads(LANES)
    try:
        for number, batch in numbered:
            if len(pending) == LANES:
                future, ended = pending.popleft()
                done(ended, future.result())
            turn = _Turn()
            # The lane sees the caller's context: its language (row errors), the client
            # address of the audit entries.
            run = contextvars.copy_context().run
            work = functools.partial(
                _run_batch, job, actor, atype, batch, number, seen, before=before, turn=turn
            )
            future = lanes.submit(run, _lane, writer, turn, work)
            pending.append((future, batch))
            before = turn
        while pending:
            future, ended = pending.popleft()
            done(ended, future.result())
    except BaseException:
        # A batch failed, or the sheet did: the batches still running finish (or are
        # stopped at their gate), and those that committed are reported.
        for future, ended in pending:
            try:
                done(ended, future.result())
            except Exception:  # noqa: S112 - the first failure is the one raised
                continue
        raise
    finally:
        lanes.close()


class _LaneThreads:
    """`count` threads, each running the batches given to it in turn on one connection of
    its own, kept for the whole import (a new connection per batch cost about 2 s of
    server CPU and wall time per 100,000 rows: every new session loads the catalog
    again). Batch n goes to thread n % count."""

    def __init__(self, count: int) -> None:
        self._jobs: list[queue.SimpleQueue[Any]] = [queue.SimpleQueue() for _ in range(count)]
        self._threads = [
            threading.Thread(target=self._run, args=(jobs,), name=f"import-batch-{i}")
            for i, jobs in enumerate(self._jobs)
        ]
        self._given = 0
        for thread in self._threads:
            thread.start()

    def submit(self, run: Callable[..., dict[str, int]], *args: Any) -> Future[dict[str, int]]:
        future: Future[dict[str, int]] = Future()
        self._jobs[self._given % len(self._jobs)].put((future, run, args))
        self._given += 1
        return future

    def close(self) -> None:
        """Wait for the batches given, then end the threads (closing their connections)."""
        for jobs in self._jobs:
            jobs.put(None)
        for thread in self._threads:
            thread.join()

    @staticmethod
    def _run(jobs: queue.SimpleQueue[Any]) -> None:
        try:
            while (job := jobs.get()) is not None:
                future, run, args = job
                try:
                    future.set_result(run(*args))
                except BaseException as exc:  # handed to the caller by future.result()
                    future.set_exception(exc)
        finally:
            connections.close_all()  # this thread's own


def _lane(
    writer: search_services.IndexWriter | None, turn: _Turn, work: Callable[[], dict[str, int]]
) -> dict[str, int]:
    """One batch (`work`, a _run_batch) in a lane's thread, on the thread's own
    connection; the batch after it is told how it ended."""
    with search_services.index_writes_to(writer), _ending(turn):
        return work()


@contextlib.contextmanager
def _ending(turn: _Turn) -> Iterator[None]:
    try:
        yield
    except BaseException:
        turn.end(ok=False)
        raise
    turn.end(ok=True)


def _gate(before: _Turn | None) -> Callable[[], None]:
    """What a batch calls before it writes: wait until the batch before it has ended;
    _Stopped if that one failed."""

    def wait() -> None:
        if before is not None:
            before.ended.wait()
            if not before.ok:
                raise _Stopped

    return wait


def _run_batch(
    job: ImportJob,
    actor: User,
    atype: ArchiveType | None,
    rows: list[tuple[int, Parsed]],
    number: int,
    seen: dict[str, int],
    *,
    before: _Turn | None = None,
    turn: _Turn | None = None,
) -> dict[str, int]:
    """One batch in one transaction; rolled back at the end in a dry run; returns its
    counts. A row refused by a business rule is reported and skipped (a refused update
    rolls back its own savepoint; new customers are validated before the bulk insert);
    anything else aborts the whole batch. In a lane (_in_lanes), `before` is how far the
    batch before has got, and `turn` is told when this one has checked its rows."""
    # What is alive now outlives the batch (the process's modules, the segmenter's
    # dictionaries, the job): left in the collector's view, every full collection walks
    # all of it again, a tenth of an import's time. import_run unfreezes it at the end.
    gc.freeze()
    report: list[dict[str, Any]] = []
    gate = _gate(before)
    with transaction.atomic():
        batch = _Batch(actor, atype, gate)
        batch.prefetch([data for _row_number, data in rows if isinstance(data, dict)])
        if before is not None:
            before.checked.wait()
        new_rows: list[_NewRow] = []
        for row_number, data in rows:
            entry: dict[str, Any] = {"row": row_number}
            report.append(entry)
            row_type: ArchiveType | None = None
            try:
                if isinstance(data, RowError):
                    entry["name"] = data.name
                    raise data
                entry["name"] = str(data.get("name", ""))
                key = _row_key(data)
                if key in seen:
                    field = _KEY_FIELDS[key.partition(":")[0]]
                    raise ApplicationError(
                        _("与第 %(row)s 行重复") % {"row": seen[key]}, field=field
                    )
                _note(seen, data, row_number)
                customer, row_type, custom = _prepare_row(batch, data)
                if customer is None:
                    new_rows.append(_NewRow(entry, data, row_type, custom))
                    continue
                _note_found(seen, customer, row_number)
                # Customer changes and dossier stand or fall together.
                with transaction.atomic():
                    entry["status"], notes = _update_row(batch, customer, data, row_type, custom)
                entry["customer"] = customer.pk
                if notes:
                    entry["notes"] = [str(n) for n in notes]
            except RowError as exc:
                entry.update(status="error", errors=exc.errors)
            except ApplicationError as exc:
                entry.update(status="error", errors=_errors_of(exc, row_type))
        if turn is not None:
            turn.checked.set()
        _create_rows(batch, new_rows, kept=not job.dry_run)
        batch_counts = dict.fromkeys(OUTCOMES, 0)
        for entry in report:
            batch_counts[entry["status"]] += 1
        gate()
        if job.dry_run:
            transaction.set_rollback(True)
        else:
            _record_batch(job, number, rows, report, batch_counts, committed=True)
    if job.dry_run:
        with transaction.atomic():
            _record_batch(job, number, rows, report, batch_counts, committed=False)
    return batch_counts


def _record_batch(
    job: ImportJob,
    number: int,
    rows: list[tuple[int, Parsed]],
    report: list[dict[str, Any]],
    batch_counts: dict[str, int],
    *,
    committed: bool,
) -> None:
    batch = ImportBatch.objects.create(
        job=job,
        number=number,
        first_row=rows[0][0],
        last_row=rows[-1][0],
        committed=committed,
        rows=report,
        indexed=not committed,
    )
    if committed:  # after the rows' own index writes, queued before it
        search_services.index_after_commit(_batch_indexed, batch.pk)
    job.processed_rows += len(rows)
    job.error_rows += batch_counts["error"]
    if committed:
        job.committed_rows += len(rows) - batch_counts["error"]
    job.save(update_fields=["processed_rows", "error_rows", "committed_rows", "updated_at"])
