"""The uploaded sheet at rest (#22): encrypted while a job can use it, 0600 in a 0700
folder, deleted when the job ends; no ID number of it in clear under the data dir
afterwards (the database file included). The kill -9 and resume case is in test_kill."""

from __future__ import annotations

import datetime
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from dangan.core.errors import ApplicationError
from dangan.core.identifiers import make_resident_id
from dangan.importer import services
from dangan.importer.models import ImportJob
from dangan.importer.services import store
from dangan.importer.tests.helpers import assert_no_id_numbers

RNG = random.Random(22)  # noqa: S311


def _numbers(count: int) -> list[str]:
    start = datetime.date(1961, 3, 1)
    return [make_resident_id(RNG, birth=start + datetime.timedelta(days=i)) for i in range(count)]


def _csv(tmp_path: Path, numbers: list[str], bad: str) -> Path:
    """A CSV (plain text: a sheet kept in clear would show its numbers) of customers,
    with one row refused for a wrong check digit."""
    lines = ["姓名,身份证号码（必填）,手机号(选填)"]
    lines += [f"客户{i},{n},1380013{i:04d}" for i, n in enumerate(numbers)]
    lines.append(f"错号,{bad},13900139000")
    path = tmp_path / "客户.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_sheet_encrypted_and_deletes_it_when_the_import_ends(
    tmp_path: Path, alice: Any
) -> None:
    numbers = _numbers(5)
    bad = _wrong_check_digit(_numbers(1)[0])
    path = _csv(tmp_path, numbers, bad)
    dry = services.import_job_create(actor=alice, path=path, dry_run=True)
    kept = services.job_file(dry)
    assert kept.exists() and kept.name != dry.sha256  # not named by the content's hash
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert oct(kept.parent.stat().st_mode & 0o777) == "0o700"
    content = kept.read_bytes()
    assert all(n.encode() not in content for n in [*numbers, bad])
    assert services.job_bytes(dry) == path.read_bytes()

    dry = services.import_run(job=dry)
    assert dry.status == ImportJob.Status.DONE, dry.error
    assert kept.exists()  # a dry run may still be committed
    job = services.import_run(job=services.import_job_commit(actor=alice, job=dry))
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.report["counts"]["created"] == 5 and job.report["counts"]["error"] == 1
    assert not kept.exists()  # the import has ended
    with pytest.raises(ApplicationError, match="已删除"):
        services.import_job_commit(actor=alice, job=dry)
    # Nothing of the sheet in clear: the import folder, the job's report and refused
    # rows, the customers, their audit entries and search entries, the database file.
    assert_no_id_numbers(Path(settings.DATA_DIR), [*numbers, bad])
    assert bad not in job.refused
    # The refused row can still be downloaded, with its number, by the one who imported.
    out, count = services.refused_xlsx(actor=alice, job=job)
    assert count == 1 and bad.encode() not in out.read()  # a zip: compressed, not plain


@pytest.mark.django_db
def test_a_sheet_that_cannot_be_read_is_not_kept(tmp_path: Path, alice: Any) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    before = set(store.store_dir().iterdir())
    with pytest.raises(ApplicationError, match="旧版 Excel"):
        services.import_job_create(actor=alice, path=path)
    assert set(store.store_dir().iterdir()) == before


@pytest.mark.django_db
def test_a_failed_import_keeps_its_sheet_for_the_resume(tmp_path: Path, alice: Any) -> None:
    path = _csv(tmp_path, _numbers(2), _wrong_check_digit(_numbers(1)[0]))
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    assert not store.release(job.sha256)
    assert services.job_file(job).exists()


@pytest.mark.django_db
def test_housekeeping_deletes_what_no_job_needs(tmp_path: Path, alice: Any) -> None:
    orphan = store.store_dir() / ".upload-dead"
    orphan.write_bytes(b"half an upload")
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    path = _csv(tmp_path, _numbers(1), _wrong_check_digit(_numbers(1)[0]))
    dry = services.import_run(job=services.import_job_create(actor=alice, path=path))
    assert services.files_purge() == 1 and not orphan.exists()
    assert services.job_file(dry).exists()  # a recent dry run: may still be committed
    ImportJob.objects.filter(pk=dry.pk).update(
        updated_at=timezone.now() - store.DRY_RUN_KEEP - datetime.timedelta(hours=1)
    )
    assert services.files_purge() == 1
    assert not services.job_file(dry).exists()


@pytest.mark.django_db
def test_a_job_given_up_deletes_its_sheet_and_is_audited(
    tmp_path: Path, alice: Any, dave: Any, capsys: Any
) -> None:
    from django.test import Client

    from conftest import audit_actions
    from dangan import cli
    from dangan.core.errors import InvalidTransition
    from dangan.importer.services import liveness

    path = _csv(tmp_path, _numbers(2), _wrong_check_digit(_numbers(1)[0]))
    job = services.import_job_create(actor=alice, path=path, dry_run=False)
    # Running in a live process (this one): refused, plainly.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, runner=liveness.runner_here()
    )
    with pytest.raises(InvalidTransition, match="导入仍在进行中"):
        services.import_job_cancel(actor=alice, job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    job = services.import_job_cancel(actor=alice, job=job)
    assert job.status == ImportJob.Status.CANCELLED
    assert not services.job_file(job).exists()
    assert audit_actions(action="import_cancel") == ["import_cancel"]
    with pytest.raises(InvalidTransition, match="可以取消"):
        services.import_job_cancel(actor=alice, job=job)

    # A dry run given up through the API, and one through the command line.
    dry = services.import_run(job=services.import_job_create(actor=alice, path=path))
    client = Client()
    client.force_login(dave)
    assert client.post(f"/api/v1/imports/{dry.pk}/cancel/").status_code in (403, 404)
    client.force_login(alice)
    answer = client.post(f"/api/v1/imports/{dry.pk}/cancel/")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert not services.job_file(dry).exists()
    dry = services.import_run(job=services.import_job_create(actor=alice, path=path))
    assert cli.main(["import", "cancel", str(dry.pk)]) == 0
    assert "已取消导入任务" in capsys.readouterr().out
    assert ImportJob.objects.get(pk=dry.pk).status == ImportJob.Status.CANCELLED


@pytest.mark.django_db
def test_the_job_page_gives_a_dry_run_up(tmp_path: Path, alice: Any, dave: Any) -> None:
    from django.test import Client

    path = _csv(tmp_path, _numbers(1), _wrong_check_digit(_numbers(1)[0]))
    dry = services.import_run(job=services.import_job_create(actor=alice, path=path))
    others = Client()
    others.force_login(dave)
    assert others.post(f"/import/{dry.pk}/cancel/").status_code in (403, 404)
    client = Client()
    client.force_login(alice)
    assert "不导入,删除上传的文件" in client.get(f"/import/{dry.pk}/").content.decode()
    page = client.post(f"/import/{dry.pk}/cancel/", follow=True).content.decode()
    assert "已取消导入任务" in page and "已取消" in page
    assert ImportJob.objects.get(pk=dry.pk).status == ImportJob.Status.CANCELLED
