from __future__ import annotations

from typing import Any

import pytest

from dangan import cli
from dangan.accounts.models import ApiToken, User
from dangan.archives.models import ArchiveType
from dangan.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_lists_the_commands_in_help(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in (
        "init",
        "demo",
        "serve",
        "templates",
        "user",
        "token",
        "verify",
        "import",
        "export",
        "backup",
        "restore",
    ):
        assert name in out


def test_it_creates_the_first_admin_once(capsys: Any) -> None:
    assert cli.main(["init", "--admin-password", "Admin-Pass-2026"]) == 0
    assert cli.main(["init"]) == 0
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and [r.code for r in admin.roles.all()] == ["sysadmin"]
    assert "admin" in capsys.readouterr().out


def test_it_creates_users_with_any_of_the_nine_roles(capsys: Any) -> None:
    for role in (
        "archivist",
        "account_manager",
        "dept_manager",
        "director",
        "customer_service",
        "business_staff",
        "finance",
        "auditor",
        "sysadmin",
    ):
        assert (
            cli.main(
                [
                    "user",
                    "create",
                    f"u_{role}",
                    "--role",
                    role,
                    "--department",
                    "销售一部",
                    "--password",
                    "Zhanghu-2026!",
                ]
            )
            == 0
        )
    user = User.objects.get(username="u_archivist")
    assert user.department is not None and user.department.code == "XSYB"


def test_it_refuses_an_unknown_role_and_a_weak_password(capsys: Any) -> None:
    assert cli.main(["user", "create", "x", "--role", "king"]) == 2
    assert cli.main(["user", "create", "y", "--role", "archivist", "--password", "123"]) == 2
    assert not User.objects.filter(username__in=["x", "y"]).exists()
    assert "错误" in capsys.readouterr().err


def test_it_prints_a_working_token(capsys: Any, bob: Any, client: Any) -> None:
    assert cli.main(["token", "create", "bob"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("dgn_") and ApiToken.objects.filter(user=bob).exists()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["username"] == "bob"


def test_it_loads_templates(capsys: Any) -> None:
    assert cli.main(["templates", "load"]) == 0
    assert ArchiveType.objects.count() == 8


def test_it_verifies_and_fails_on_a_tampered_trail(capsys: Any, car_dossier: Any) -> None:
    assert cli.main(["verify"]) == 0
    entry = AuditEntry.objects.order_by("seq")[1]
    AuditEntry.objects.filter(pk=entry.pk).update(action="nothing")
    assert cli.main(["verify"]) == 1
    assert f"第 {entry.seq} 条" in capsys.readouterr().out


def test_a_backup_needs_a_passphrase(capsys: Any, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.delenv("DANGAN_BACKUP_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(SystemExit, match="DANGAN_BACKUP_PASSPHRASE"):
        cli.main(["backup", "--to", str(tmp_path)])
    assert not list(tmp_path.iterdir())


def test_it_keeps_the_audit_trail_unless_a_retention_is_set(capsys: Any, alice: Any) -> None:
    assert cli.main(["audit", "prune"]) == 0
    assert "永久" in capsys.readouterr().out
    assert cli.main(["audit", "prune", "--days", "30"]) == 2
    assert cli.main(["audit", "prune", "--days", "200"]) == 0


def test_it_sends_reminders_from_the_console(capsys: Any) -> None:
    assert cli.main(["reminders"]) == 0
    assert "提醒" in capsys.readouterr().out


def test_it_offers_the_worker_and_reminders_commands(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "worker" in out and "reminders" in out


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_it_runs_queued_reminders_in_the_database_worker() -> None:
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from dangan.circulation.tasks import schedule_reminders

    schedule_reminders()  # the loan reminders and the approvals' escalation (#27 §2)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    statuses = list(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["SUCCESSFUL", "SUCCESSFUL"]


def test_it_builds_the_search_index_for_existing_data_on_init(
    capsys: Any, bobs_customer: Any
) -> None:
    from dangan.search.models import SearchEntry

    SearchEntry.objects.all().delete()
    assert cli.main(["init", "--admin-password", "Admin-Pass-2026"]) == 0
    assert SearchEntry.objects.exists()


def test_serve_runs_one_thread_per_worker_unless_told(monkeypatch: Any) -> None:
    """A request is Python work under the GIL: more threads per worker add hand-offs
    and a database connection each, no throughput (dangan.server.options)."""
    from dangan import server

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(server, "run", lambda **kwargs: started.append(kwargs))
    assert cli.main(["serve", "--no-worker", "--port", "8123"]) == 0
    monkeypatch.setenv("DANGAN_THREADS", "4")
    assert cli.main(["serve", "--no-worker", "--workers", "2"]) == 0
    assert [(s["workers"], s["threads"]) for s in started] == [(3, 1), (2, 4)]
    settings = server.options(host="127.0.0.1", port=8123, workers=3, threads=1)
    assert settings["threads"] == 1 and settings["worker_class"] == "gthread"
