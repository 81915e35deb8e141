"""`dangan export all` / `dangan import all`: the whole instance in an open format.

A zip holding README.md (the format, below), manifest.json (format, counts, the audit
head, the SHA-256 of every other member), data/<app>.<model>.jsonl (one JSON object a row:
{"model", "pk", "fields"} as Django's serializers write them; many-to-many links as rows of
their own through-tables), files/blobs/… (every stored file, named by its SHA-256) and
keys/audit_key (the key the audit trail is chained with, so that the trail verifies where
it is imported). Identity numbers are in clear ("id_number", "totp_secret" replace the
encrypted columns and their keyed hashes): the export is the portable copy, to be kept as
carefully as the paper archive; the file is written 0600.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from dangan.audit.services import audit_record, chain_head
from dangan.backups import gate
from dangan.core import crypto
from dangan.core.errors import ApplicationError

FORMAT = "dangan-export/1"
# Made again where the export is read (migrations, the search index) or the instance's own.
SKIPPED = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "admin.logentry",
    "backups.keycheck",
    "django_tasks_db.dbtaskresult",
}
SKIPPED_PREFIXES = ("search.",)
# Columns holding ciphertext or keyed hashes -> the clear field written instead.
CLEAR = {
    "customers.customer": ("id_number_encrypted", "id_number"),
    "customers.relatedperson": ("id_number_encrypted", "id_number"),
    "accounts.user": ("totp_secret_encrypted", "totp_secret"),
}
HASHES = {"id_number_lookup", "id_last4_lookup", "id_last5_lookup", "id_last6_lookup"}
README = """# Dangan full export (dangan-export/1)

Members of this zip:

- `manifest.json` — `format`, `created`, `instance`, `counts` (rows per table),
  `audit_head` (sequence number and hash of the last audit entry), `members` (SHA-256 of
  every other member).
- `data/<app>.<model>.jsonl` — one JSON object per line per row, as Django's serializers
  write them: `{"model": "customers.customer", "pk": 1, "fields": {...}}`. Foreign keys
  are primary keys of the referenced rows; many-to-many links are rows of their own
  through-tables (e.g. `accounts.user_roles`). Dates and times are ISO 8601 (UTC).
- Identity numbers are in CLEAR here: `customers.customer` and `customers.relatedperson`
  carry `id_number` instead of the encrypted column and its lookup hashes;
  `accounts.user` carries `totp_secret` (two-factor secret). Keep this file as carefully
  as the paper archive.
- `data/audit.auditentry.jsonl` — the audit trail; each entry's `entry_hash` is the
  HMAC-SHA256 chain value under `keys/audit_key` (see dangan.audit.services.chain_digest);
  `audit.audithead` its head and anchors.
- `files/blobs/aa/bb/<sha256>` — every stored file (scans), named by the SHA-256 of its
  bytes.
- `keys/audit_key` — the audit chain's key, so that the trail verifies where it is read.

Read back with `dangan import all FILE` into an empty instance.
"""


@dataclass
class Exported:
    path: Path
    rows: int
    files: int
    counts: dict[str, int]


def _models() -> list[type[models.Model]]:
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in SKIPPED or label.startswith(SKIPPED_PREFIXES) or model._meta.proxy:
            continue
        if not model._meta.managed:
            continue
        chosen.append(model)
    return chosen


def _rows(model: type[models.Model]) -> Iterator[dict[str, Any]]:
    label = model._meta.label_lower
    m2m = {f.name for f in model._meta.many_to_many}
    queryset = model._default_manager.order_by("pk")
    for start in range(0, 10**12, 2000):
        batch = list(queryset[start : start + 2000])
        if not batch:
            return
        for row in serializers.serialize("python", batch):
            fields = {k: v for k, v in row["fields"].items() if k not in m2m}
            if label in CLEAR:
                column, clear = CLEAR[label]
                token = fields.pop(column, "")
                fields[clear] = crypto.decrypt(token) if token else ""
                for name in HASHES:
                    fields.pop(name, None)
            yield {"model": label, "pk": row["pk"], "fields": fields}


def export_all(*, output: Path) -> Exported:
    """Write the export to `output` (mode 0600, replaced only when whole)."""
    temp = output.with_name(f".{output.name}.partial")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    counts: dict[str, int] = {}
    members: dict[str, str] = {}
    files = 0
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for model in _models():
                label = model._meta.label_lower
                name = f"data/{label}.jsonl"
                digest, count = hashlib.sha256(), 0
                with zf.open(name, "w") as out:
                    for row in _rows(model):
                        line = (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode()
                        digest.update(line)
                        out.write(line)
                        count += 1
                counts[label], members[name] = count, digest.hexdigest()
            files = _export_files(zf, members)
            key = settings.AUDIT_CHAIN_KEY.encode()
            zf.writestr("keys/audit_key", key)
            members["keys/audit_key"] = hashlib.sha256(key).hexdigest()
            zf.writestr("README.md", README)
            members["README.md"] = hashlib.sha256(README.encode()).hexdigest()
            manifest = {
                "format": FORMAT,
                "created": datetime.datetime.now(datetime.UTC).isoformat(),
                "counts": counts,
                "files": files,
                "audit_head": chain_head().as_dict(),
                "members": members,
            }
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    audit_record(
        actor=None,
        action="export_all",
        object_type="instance",
        object_repr=output.name,
        detail={"rows": sum(counts.values()), "files": files},
    )
    return Exported(output, sum(counts.values()), files, counts)


def _export_files(zf: zipfile.ZipFile, members: dict[str, str]) -> int:
    from dangan.documents.models import Blob

    count = 0
    for blob in Blob.objects.order_by("sha256").iterator(chunk_size=500):
        name = f"files/{blob.storage_name}"
        try:
            with (
                default_storage.open(blob.storage_name, "rb") as source,
                zf.open(name, "w", force_zip64=True) as out,
            ):
                while chunk := source.read(1024 * 1024):
                    out.write(chunk)
        except FileNotFoundError:
            continue  # dangan verify names it; the export carries what exists
        members[name] = blob.sha256
        count += 1
    return count


def _check(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise ApplicationError(_("不是 Dangan 的完整导出文件(缺少 manifest.json)")) from exc
    if manifest.get("format") != FORMAT:
        raise ApplicationError(_("不支持的导出格式:%(f)s") % {"f": manifest.get("format")})
    names = set(zf.namelist()) - {"manifest.json"}
    if names != set(manifest["members"]):
        raise ApplicationError(_("导出文件的成员与清单不符,文件不完整或被改动"))
    for name, sha in manifest["members"].items():
        digest = hashlib.sha256()
        with zf.open(name) as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            raise ApplicationError(_("导出文件已损坏或被改动:%(name)s") % {"name": name})
    return manifest


def target_empty() -> bool:
    from dangan.accounts.models import User
    from dangan.audit.models import AuditEntry
    from dangan.customers.models import Customer

    return not (User.objects.exists() or Customer.objects.exists() or AuditEntry.objects.exists())


def import_all(*, source: Path) -> dict[str, int]:
    """Read an export into this (empty) instance: every row, every file, the audit key."""
    try:
        zf = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ApplicationError(_("无法读取导出文件:%(e)s") % {"e": exc}) from exc
    with zf:
        manifest = _check(zf)
        if not target_empty():
            raise ApplicationError(
                _("本实例已有数据(用户、客户或审计记录),完整导入只能导入到空实例")
            )
        key = zf.read("keys/audit_key").decode()
        before = gate.current_secrets()
        values = {**before, "audit_key": key}
        staged = _stage_keys(values)
        try:
            with transaction.atomic():
                _load_rows(zf, manifest)
                # The imported trail is chained with the exporting instance's audit key:
                # it becomes this one's (the database was empty: nothing used the old one).
                gate.apply_keys(values)
                gate.key_check_record(values)
                audit_record(
                    actor=None,
                    action="import_all",
                    object_type="instance",
                    object_repr=source.name,
                    detail={"rows": sum(manifest["counts"].values()), "files": manifest["files"]},
                )
        except BaseException:
            gate.apply_keys(before)
            staged.unlink(missing_ok=True)
            raise
        os.replace(staged, gate.keys_path())
        _load_files(zf, manifest)
    from dangan.search.services import rebuild_index

    rebuild_index()
    return dict(manifest["counts"])


def _load_rows(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    labels = [label for label in manifest["counts"] if apps.get_model(label)]
    loaded = [apps.get_model(label) for label in labels]
    with connection.constraint_checks_disabled(), _times_as_given(loaded):
        for model in loaded:  # rows the migrations made (roles, rules…) give way
            model._default_manager.all()._raw_delete(connection.alias)
        for label, model in zip(labels, loaded, strict=True):
            batch: list[models.Model] = []
            with zf.open(f"data/{label}.jsonl") as handle:
                for line in io.TextIOWrapper(handle, encoding="utf-8"):
                    batch.append(_object(json.loads(line)))
                    if len(batch) >= 2000:
                        model._default_manager.bulk_create(batch)
                        batch = []
            if batch:
                model._default_manager.bulk_create(batch)
    connection.check_constraints()
    statements = connection.ops.sequence_reset_sql(no_style(), loaded)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@contextlib.contextmanager
def _times_as_given(loaded: list[type[models.Model]]) -> Iterator[None]:
    """auto_now / auto_now_add would stamp every row with the time of the import."""
    stamped = [
        (field, field.auto_now, field.auto_now_add)
        for model in loaded
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)
    ]
    for field, _now, _add in stamped:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, now, add in stamped:
            field.auto_now, field.auto_now_add = now, add


def _object(row: dict[str, Any]) -> models.Model:
    label, fields = row["model"], dict(row["fields"])
    if label in CLEAR:
        column, clear = CLEAR[label]
        value = fields.pop(clear, "")
        fields[column] = crypto.encrypt(value) if value else ""
        if label == "customers.customer" and value:
            fields["id_number_lookup"] = crypto.lookup_hash(f"{fields.get('id_type', '')}:{value}")
            for n in (4, 5, 6):
                fields[f"id_last{n}_lookup"] = crypto.lookup_hash(value[-n:], purpose=f"last{n}")
    (obj,) = serializers.deserialize("python", [{**row, "fields": fields}])
    return obj.object


def _stage_keys(values: dict[str, str]) -> Path:
    from dangan import config

    path = gate.keys_path()
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    config.write_secrets(staged, values)
    return staged


def _load_files(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    for name, sha in manifest["members"].items():
        if not name.startswith("files/"):
            continue
        stored = name.removeprefix("files/")
        if not default_storage.exists(stored):
            data = zf.read(name)
            if hashlib.sha256(data).hexdigest() != sha:  # checked before; read again
                raise ApplicationError(_("导出文件已损坏或被改动:%(name)s") % {"name": name})
            default_storage.save(stored, ContentFile(data))
