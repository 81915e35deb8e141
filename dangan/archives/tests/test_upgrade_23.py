"""#23's migrations upgrade a database made before them, with data in it.

A fresh test database never saw the upgrade problem: there search/0003's trigger on
customers_customer (it reads archives_dossier and documents_document) comes after
archives/0013 and documents/0004 in the plan. On a database made by the main of before
#23 it is already there when SQLite rebuilds those two tables, and the rebuild failed
with "error in trigger search_entry_follow_owner: no such table: main.archives_dossier"
(core.migration_ops.sqlite_triggers_suspended).

A child process migrates a throw-away database (the data dir's SQLite file, and a
PostgreSQL database when the suite runs there) to the migrations main had before #23,
files a customer, a dossier, a document and their search entries through the historical
models, migrates to the end, then checks the data, the trigger and the new columns, and
that the dossier holds its VIN once the templates declare it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

import dangan
from dangan import config

ROOT = Path(dangan.__file__).resolve().parent.parent

SCRIPT = r"""
import json
import django

django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

# What #23 added; main's latest before it: archives 0011, documents 0002, circulation
# 0007 (change control's step key comes after), no changes app; confirmations 0002 (the
# move of sign-offs onto the engine, confirmations 0003, needs documents 0004). Annual
# volumes (archives 0016) rebuild archives_dossier once more.
NEW = [
    ("archives", "0012_keys_parts"),
    ("archives", "0013_customer_less"),
    ("archives", "0014_archive_type_change_control"),
    ("archives", "0016_year_volumes"),
    ("documents", "0003_document_part"),
    ("documents", "0004_document_void_supersede"),
    ("changes", "0001_initial"),
    ("circulation", "0008_change_requests"),
    ("changes", "0002_defaults"),
]
BEFORE = {
    "archives": "0011_item_retention",
    "documents": "0002_document_destroyed",
    "circulation": "0007_one_engine_data",
    "changes": None,
    "confirmations": "0002_rule_version",
}

executor = MigrationExecutor(connection)
targets = [
    (app, BEFORE.get(app, name)) for app, name in executor.loader.graph.leaf_nodes()
]
executor.migrate(targets)
applied = set(MigrationRecorder(connection).applied_migrations())
assert not applied & set(NEW), sorted(applied & set(NEW))
assert ("search", "0003_entry_scope") in applied

old = executor.loader.project_state([t for t in targets if t[1] is not None]).apps
Department = old.get_model("accounts", "Department")
User = old.get_model("accounts", "User")
Customer = old.get_model("customers", "Customer")
ArchiveType = old.get_model("archives", "ArchiveType")
Dossier = old.get_model("archives", "Dossier")
Document = old.get_model("documents", "Document")
SearchEntry = old.get_model("search", "SearchEntry")

sales = Department.objects.create(code="S1", name="销售一部")
other = Department.objects.create(code="S2", name="销售二部")
bob = User.objects.create(username="bob", department=sales)
carol = User.objects.create(username="carol", department=other)
customer = Customer.objects.create(kind="individual", name="张三", owner=bob, department=sales)
car = ArchiveType.objects.create(
    code="CAR-SALE", name="汽车销售档案", numbering="{code}-{year}-{seq:04d}", retention="30Y"
)
dossier = Dossier.objects.create(
    archive_number="CAR-SALE-2025-0001",
    customer=customer,
    archive_type=car,
    title="张三 购车",
    retention="30Y",
    volume_year=2025,
    fields={"vin": "LSVAU2180N2183294"},
    created_by=bob,
)
document = Document.objects.create(
    dossier=dossier, piece_number=1, title="购车合同", created_by=bob
)
for kind, pk in (("customer", customer.pk), ("dossier", dossier.pk), ("document", document.pk)):
    SearchEntry.objects.create(
        kind=kind, object_id=pk, owner_id=bob.pk, department_id=sales.pk, dossier_id=dossier.pk
    )

executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
applied = set(MigrationRecorder(connection).applied_migrations())
assert set(NEW) <= applied

from dangan.archives.models import Dossier as Now, DossierKey, DossierPart
from dangan.customers.models import Customer as CustomerNow
from dangan.documents.models import Document as DocumentNow
from dangan.search.models import SearchEntry as EntryNow

filed = Now.objects.get()
assert (filed.customer_id, filed.department_id, filed.title) == (customer.pk, None, "张三 购车")
assert filed.fields == {"vin": "LSVAU2180N2183294"}
kept = DocumentNow.objects.get()
assert (kept.dossier_id, kept.part_id, kept.superseded_by_id, kept.state_reason) == (
    dossier.pk, None, None, ""
)
assert Now._meta.get_field("customer").null
with connection.cursor() as cursor:
    described = connection.introspection.get_table_description(cursor, "archives_dossier")
    columns = {c.name: c for c in described}
    assert columns["customer_id"].null_ok and columns["department_id"].null_ok
    if connection.vendor == "sqlite":
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        triggers = dict(cursor.fetchall())
        cursor.execute("PRAGMA foreign_key_check")
        dangling = cursor.fetchall()
        cursor.execute("PRAGMA integrity_check")
        integrity = cursor.fetchone()[0]
    else:
        cursor.execute(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
        )
        triggers = dict(cursor.fetchall())
        dangling, integrity = [], "ok"
assert triggers.get("search_entry_follow_owner") == "customers_customer", triggers
assert dangling == [] and integrity == "ok", (dangling, integrity)
assert DossierKey.objects.count() == 0 and DossierPart.objects.count() == 0
# 年度立卷 (archives 0016): the dossier is bound nowhere yet, its type binds by opening year.
assert (filed.year_volume_id, filed.volume_number, filed.bound_apart) == (None, None, False)
assert filed.archive_type.cross_year == "opening"
assert not columns["bound_apart"].null_ok and columns["year_volume_id"].null_ok

# The types made before #23 declare no keys; loading the templates over them (or the
# rules page) declares the VIN, and the dossier filed before holds it (keys.claim_type).
from dangan.archives.loader import templates_load

templates_load(actor=None, update=True)
assert list(DossierKey.objects.values_list("dossier_id", "value")) == [
    (dossier.pk, "LSVAU2180N2183294")
]

# The dossier filed before the upgrade is bound when its year is closed (the rebuilt
# table takes the numbers; the trigger below still fires on it).
from dangan.accounts.models import Role, User as UserNow
from dangan.archives import volumes
from dangan.archives.models import ArchiveType as TypeNow

keeper = UserNow.objects.create(username="keeper", department_id=sales.pk)
role = Role.objects.get_or_create(
    code="archivist", defaults={"name": "档案管理员", "scope": "all"}
)[0]
role.permissions = sorted({*role.permissions, "dossier.view", "dossier.status"})
role.scope = "all"
role.save()
keeper.roles.add(role)
closed = volumes.year_close(
    actor=keeper, archive_type=TypeNow.objects.get(code="CAR-SALE"), year=2025
)
assert list(Now.objects.values_list("year_volume_id", "volume_number")) == [(closed.pk, 1)]

# The trigger still works after the rebuilds: the customer changes hands, and the
# entries of the customer, its dossier and its document follow in the same statement.
CustomerNow.objects.filter(pk=customer.pk).update(owner_id=carol.pk, department_id=other.pk)
owners = sorted(EntryNow.objects.values_list("kind", "owner_id", "department_id"))
print(json.dumps({"owners": owners, "carol": [carol.pk, other.pk]}))
"""


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    env.update(
        DANGAN_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="dangan.settings",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DANGAN_DATABASE_URL"] = database_url
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any) -> Iterator[str]:
    """ "" (the data dir's SQLite file) or a throw-away PostgreSQL database's URL; the
    latter only when the suite itself runs on PostgreSQL."""
    if request.param == "sqlite":
        yield ""
        return
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite")
    from dangan.importer.tests.test_kill import _postgres_database

    with _postgres_database() as url:
        yield url


@pytest.mark.slow
def test_a_database_from_before_23_migrates_with_its_data(
    tmp_path: Path, database_url: str
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    config.create_secrets(data_dir)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT],
        env=_env(data_dir, database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    carol = result["carol"]
    assert result["owners"] == [[kind, *carol] for kind in ("customer", "document", "dossier")]
