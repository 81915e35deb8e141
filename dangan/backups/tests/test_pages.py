from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dangan.audit.models import AuditEntry
from dangan.backups import services
from dangan.backups.models import BackupRun, KeyCheck
from dangan.backups.schedule import Schedule
from dangan.circulation.models import Notification
from dangan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_system_administrator_sees_the_runs_and_asks_for_one(client: Any, sam: Any) -> None:
    client.force_login(sam)
    page = client.get("/backups/")
    assert page.status_code == 200 and "立即备份" in page.content.decode()
    assert 'href="/backups/" class="active"' in page.content.decode()  # in the menu
    response = client.post("/backups/run/", follow=True)
    assert "已排入备份" in response.content.decode()
    run = BackupRun.objects.get()
    assert run.state == BackupRun.State.QUEUED and run.requested_by == sam
    assert AuditEntry.objects.filter(action="backup_request", actor=sam).exists()
    assert "排队中" in client.get("/backups/").content.decode()


def test_others_neither_see_nor_ask(client: Any, alice: Any) -> None:
    client.force_login(alice)
    assert client.get("/backups/").status_code == 403
    assert client.post("/backups/run/").status_code == 403
    assert client.get("/api/v1/backups/").status_code == 403
    assert client.post("/api/v1/backups/").status_code == 403
    assert not BackupRun.objects.exists()
    assert 'href="/backups/"' not in client.get("/", follow=True).content.decode()


def test_the_api_lists_and_queues_backups(client: Any, sam: Any) -> None:
    client.force_login(sam)
    response = client.post("/api/v1/backups/")
    assert response.status_code == 202 and response.json()["state"] == "queued"
    listed = client.get("/api/v1/backups/").json()["results"]
    assert [r["id"] for r in listed] == [response.json()["id"]]


def _at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("line", "now", "expected"),
    [
        ("weekly", (2026, 12, 9, 10, 0), (2026, 12, 6, 2, 0)),
        ("weekly", (2026, 12, 6, 1, 59), (2026, 11, 29, 2, 0)),
        ("daily", (2026, 12, 9, 1, 0), (2026, 12, 8, 2, 0)),
        ("30 */6 * * 1-5", (2026, 12, 6, 9, 0), (2026, 12, 4, 18, 30)),
        ("0 3 1 * *", (2026, 12, 9, 1, 0), (2026, 12, 1, 3, 0)),
    ],
)
def test_it_reads_the_schedule(line: str, now: Any, expected: Any) -> None:
    assert Schedule(line).previous(_at(*now)) == _at(*expected)


def test_it_refuses_a_schedule_it_cannot_read() -> None:
    for line in ("hourly", "61 * * * *", "* * *"):
        with pytest.raises(ApplicationError):
            Schedule(line)


def test_a_missed_backup_raises_a_notice_and_is_made_up(
    sam: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    monkeypatch.setenv("DANGAN_BACKUP_PASSPHRASE", "schedule-2026")
    monkeypatch.setenv("DANGAN_BACKUP_DIR", str(tmp_path))
    KeyCheck.objects.update(created_at=timezone.now() - datetime.timedelta(days=30))
    run = services.scheduled_tick()
    assert run is not None and run.state == BackupRun.State.SUCCEEDED
    assert BackupRun.objects.filter(state=BackupRun.State.MISSED).count() == 1
    assert Notification.objects.filter(user=sam, text__contains="错过").exists()
    assert services.scheduled_tick() is None  # done for this slot
    assert len(list(tmp_path.iterdir())) == 1


def test_a_new_instance_has_missed_nothing(sam: Any) -> None:
    KeyCheck.objects.update(created_at=timezone.now())
    assert services.scheduled_tick() is None
    assert not BackupRun.objects.exists()
