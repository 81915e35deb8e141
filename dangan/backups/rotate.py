"""`dangan keys rotate`: every encrypted value under a new field key (and, if asked, every
lookup hash under a new lookup key), in one transaction.

The new keys file is written beside the old one (secrets.json.new) before the database
changes and renamed into place after they commit; the old file is kept as a dated copy
(secrets.json.rotated-…) until the next backup. A crash between the commit and the rename
is finished at the next start (gate.key_check_compare). The audit key is never rotated:
the chain's stored hashes depend on it.
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.db import models, transaction

from dangan import config
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.backups import gate
from dangan.core import crypto
from dangan.customers.models import Customer, RelatedPerson

BATCH = 2000
NEW_SUFFIX = ".new"
ROTATED_PREFIX = "secrets.json.rotated-"


@dataclass
class Rotated:
    customers: int
    related_persons: int
    users: int
    lookup: bool
    kept: Path


def _reencrypt(old: Fernet, new: Fernet, token: str) -> str:
    return new.encrypt(old.decrypt(token.encode())).decode()


def _customers(old: Fernet, new: Fernet, lookup_key: str | None) -> int:
    count = 0
    rows = Customer.objects.exclude(id_number_encrypted="").order_by("pk")
    fields = ["id_number_encrypted"]
    if lookup_key:
        fields += ["id_number_lookup", "id_last4_lookup", "id_last5_lookup", "id_last6_lookup"]
    batch: list[Customer] = []
    for customer in rows.only("pk", "id_type", *fields).iterator(chunk_size=BATCH):
        number = old.decrypt(customer.id_number_encrypted.encode()).decode()
        customer.id_number_encrypted = new.encrypt(number.encode()).decode()
        if lookup_key:
            customer.id_number_lookup = crypto.lookup_hash(
                f"{customer.id_type}:{number}", key=lookup_key
            )
            for n in (4, 5, 6):
                value = crypto.lookup_hash(number[-n:], purpose=f"last{n}", key=lookup_key)
                setattr(customer, f"id_last{n}_lookup", value)
        batch.append(customer)
        if len(batch) >= BATCH:
            count += Customer.objects.bulk_update(batch, fields)
            batch = []
    return count + (Customer.objects.bulk_update(batch, fields) if batch else 0)


def _simple(model: type[models.Model], field: str, old: Fernet, new: Fernet) -> int:
    manager: Any = model._default_manager
    rows = list(manager.exclude(**{field: ""}).only("pk", field))
    for row in rows:
        setattr(row, field, _reencrypt(old, new, getattr(row, field)))
    manager.bulk_update(rows, [field], batch_size=BATCH)
    return len(rows)


def keys_rotate(*, lookup: bool = False) -> Rotated:
    """Rotate the field key (and the lookup key with `lookup`); the operator's command."""
    current = gate.current_secrets()
    directory = gate.keys_path().parent
    fresh = config.new_secrets()
    new_values = {**current, "field_key": fresh["field_key"]}
    if lookup:
        new_values["lookup_key"] = fresh["lookup_key"]
    path = gate.keys_path()
    staged = path.with_name(path.name + NEW_SUFFIX)
    staged.unlink(missing_ok=True)
    config.write_secrets(staged, new_values)
    old, new = Fernet(current["field_key"].encode()), Fernet(new_values["field_key"].encode())
    try:
        with transaction.atomic():
            customers = _customers(old, new, new_values["lookup_key"] if lookup else None)
            persons = _simple(RelatedPerson, "id_number_encrypted", old, new)
            users = _simple(User, "totp_secret_encrypted", old, new)
            gate.key_check_record(new_values)
            audit_record(
                actor=None,
                action="keys_rotate",
                object_type="keys",
                object_repr="secrets.json",
                detail={
                    "rotated": ["field_key", *(["lookup_key"] if lookup else [])],
                    "customers": customers,
                    "related_persons": persons,
                    "users": users,
                },
            )
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = directory / f"{ROTATED_PREFIX}{stamp}"
    shutil.copy2(path, kept)
    os.chmod(kept, 0o600)
    os.replace(staged, path)
    gate.apply_keys(new_values)
    return Rotated(customers, persons, users, lookup, kept)


def rotated_copies_drop(directory: Path) -> list[Path]:
    """After a backup holds the new keys: the dated copies of the old ones go."""
    copies = sorted(directory.glob(f"{ROTATED_PREFIX}*"))
    for copy in copies:
        copy.unlink(missing_ok=True)
    return copies
