"""The `dangan` console script (SPEC §4): operations from the server's console."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dangan.archives import cli as archives_cli
from dangan.backups import cli as backup_cli

if TYPE_CHECKING:
    import threading

    from dangan.accounts.models import User
    from dangan.audit.services import ChainHead
    from dangan.importer.models import ImportJob

_LOCK: list[object] = []  # the data dir's lock file, held while the command runs
WORKER_STOP_SECONDS = 120  # how long a stopping worker waits for its clocks' round


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
    import django

    django.setup()


def cmd_init(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from dangan.accounts.models import User
    from dangan.accounts.services import user_create
    from dangan.core.bulk import refresh_statistics

    call_command("migrate", interactive=False, verbosity=0)
    _restrict_data_dir(deep=True)
    _index_existing_data()
    _load_holiday_calendar()
    refresh_statistics()
    if User.objects.filter(is_superuser=True).exists():
        print("数据库已就绪 (database ready); 管理员已存在 (admin exists).")
        return 0
    user, password = user_create(
        actor=None,
        username=args.admin_username,
        roles=["sysadmin"],
        password=args.admin_password,
        full_name="系统管理员",
    )
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    print(f"已创建系统管理员 (admin created): {user.username} / {password}")
    return 0


def _restrict_data_dir(*, deep: bool) -> None:
    """The data dir private to this user (0700, files 0600), however an older version or
    a copy by hand left it."""
    from django.conf import settings

    from dangan.config import restrict_permissions

    changed = restrict_permissions(settings.DATA_DIR, deep=deep)
    if changed:
        print(f"已收紧数据目录权限 (data dir made private): {changed} 项")


def _load_holiday_calendar() -> None:
    """This year's and next year's holidays: the official schedule where shipped, else
    the statutory days computed and marked 暂定 (see the 工作日历 page)."""
    from dangan.intake.services import calendar_load_defaults

    for year in calendar_load_defaults():
        print(f"已载入 {year} 年节假日 (holiday calendar loaded)")


def _index_existing_data() -> None:
    """A database that has records but no search index (an upgrade) gets one built."""
    from dangan.customers.models import Customer
    from dangan.search.models import SearchEntry
    from dangan.search.services import rebuild_index

    if Customer.objects.exists() and not SearchEntry.objects.exists():
        counts = rebuild_index()
        print(f"已建立检索索引 (search index built): {sum(counts.values())} 条")


def cmd_demo(args: argparse.Namespace) -> int:
    from dangan import demo
    from dangan.archives.loader import templates_load

    init_args = argparse.Namespace(admin_username="admin", admin_password=args.admin_password)
    cmd_init(init_args)
    templates_load(actor=None)
    summary = demo.demo_load(seed=args.seed, per_type=args.per_type)
    print(summary.describe())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    _restrict_data_dir(deep=False)
    import subprocess

    from dangan.server import run

    worker = None
    if not args.no_worker:
        # Background tasks (reminders) beside the web server: the embedded default needs
        # no broker and no second command.
        worker = subprocess.Popen([sys.executable, "-m", "dangan.cli", "worker"])
    print(
        f"Dangan 已启动 (running): http://{args.host}:{args.port}/   数据目录: {settings.DATA_DIR}"
    )
    sys.stdout.flush()
    # No connection (migrate's) may cross into the forked workers: an SQLite connection
    # and its writers' lock file must not be shared between processes.
    from django.db import connection, connections

    if not connection.in_atomic_block:  # (a test's transaction stays open)
        connections.close_all()
    try:
        run(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background tasks (django-tasks' database worker) and queue the daily reminders."""
    import threading

    from django.core.management import call_command

    from dangan.circulation.tasks import schedule_reminders
    from dangan.home.tasks import schedule_daily_reminders
    from dangan.importer.services import files_purge, import_index_pending
    from dangan.service.tasks import schedule_service_reminders

    def daily() -> None:
        # Reminders are sent at most once per loan and day, so queueing every few hours
        # is harmless and survives restarts without any bookkeeping.
        from django.db import close_old_connections

        while True:
            try:
                schedule_reminders()
                schedule_service_reminders()
                schedule_daily_reminders()
            finally:
                close_old_connections()
            if stop.wait(args.reminder_hours * 3600):
                return

    # The search entries an import killed before writing them (and never resumed) owes,
    # and the import sheets no job needs any more. Failing that must not keep the tasks
    # from running: it is tried again next start.
    try:
        import_index_pending()
        files_purge()
    except Exception as exc:  # any failure: said, and the worker goes on
        print(
            f"补写导入的检索索引失败,将在下次启动时重试 (indexing a dead import failed): {exc}",
            file=sys.stderr,
        )
    stop = threading.Event()
    clocks = [
        threading.Thread(target=daily, name="dangan-reminders", daemon=True),
        threading.Thread(target=_scheduled_fixity, args=(stop,), name="dangan-fixity", daemon=True),
        threading.Thread(
            target=_log_chain_head,
            args=(stop, args.anchor_minutes),
            name="dangan-anchor",
            daemon=True,
        ),
        threading.Thread(target=_backup_schedule, args=(stop,), name="dangan-backups", daemon=True),
    ]
    for clock in clocks:
        clock.start()
    try:
        call_command("db_worker", interval=args.interval, verbosity=0)
    finally:
        # A worker that stops leaves nothing half-written behind: its clocks finish their
        # round (a backup in progress ends) before the process goes.
        stop.set()
        for clock in clocks:
            clock.join(timeout=WORKER_STOP_SECONDS)
    return 0


def _scheduled_fixity(stop: threading.Event) -> None:
    """Run `dangan verify`'s check when DANGAN_FIXITY_SCHEDULE says one is owed (looked at
    every ten minutes); it is recorded and a failure notifies the system administrators."""
    from django.db import close_old_connections

    from dangan.verify import fixity_due, fixity_run

    while True:
        try:
            if fixity_due():
                ok = fixity_run()
                print(f"定期完整性校验完成 (scheduled fixity): {'通过' if ok else '发现异常'}")
                sys.stdout.flush()
        except Exception as exc:  # said; tried again at the next round
            print(f"定期完整性校验失败 (scheduled fixity failed): {exc}", file=sys.stderr)
        finally:
            close_old_connections()
        if stop.wait(600):
            return


def _log_chain_head(stop: threading.Event, minutes: float) -> None:
    """Write the audit chain's head to the log now and every `minutes` when it moved: the
    log, kept apart from the database, then carries the head (`dangan verify --anchor`
    takes a saved one; the log's line shows what the trail held at that time)."""
    import datetime
    import logging

    from django.db import close_old_connections

    from dangan.audit.services import chain_head

    logger = logging.getLogger("dangan.audit.anchor")
    last = None
    while True:
        try:
            head = chain_head()
            if head != last:
                now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
                logger.info("%s audit chain head %s", now, head.describe())
                last = head
        except Exception as exc:  # logged; the next round tries again
            logger.warning("audit chain head not read: %s", exc)
        finally:
            close_old_connections()
        if stop.wait(minutes * 60):
            return


def _backup_schedule(stop: threading.Event) -> None:
    """The worker's backup clock: once a minute, run the scheduled backup when it is due
    (DANGAN_BACKUP_SCHEDULE); a failure is recorded and noticed by the service."""
    from django.db import close_old_connections

    from dangan.backups.services import scheduled_tick

    while not stop.wait(60):
        try:
            scheduled_tick()
        except Exception as exc:  # the worker goes on; the next minute tries again
            print(f"定时备份出错 (scheduled backup error): {exc}", file=sys.stderr)
        finally:
            close_old_connections()


def cmd_reminders(args: argparse.Namespace) -> int:
    """Send today's due/overdue reminders now, without a worker."""
    from dangan.circulation.services import reminders_send
    from dangan.disposal.notices import due_notify
    from dangan.home.services import reminders_notify
    from dangan.paper.checks import checks_notify
    from dangan.paper.copies import overdue_notify
    from dangan.service.services import follow_ups_notify, tickets_overdue_notify

    print(f"已发送 {reminders_send()} 条到期/逾期提醒。")
    print(f"已发送 {tickets_overdue_notify()} 条工单超期提醒、{follow_ups_notify()} 条跟进提醒。")
    print(
        f"已发送 {reminders_notify()} 条客户关怀提醒、{checks_notify()} 条定期检查提醒、"
        f"{due_notify()} 条保管期满提醒、{overdue_notify()} 条纸质资料逾期提醒。"
    )
    return 0


def cmd_templates_load(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dangan.archives.loader import SEED_DIR, templates_load

    results = templates_load(actor=None, directory=Path(args.dir or SEED_DIR), update=args.update)
    for r in results:
        state = "新建" if r.created else ("更新" if r.updated else "已存在,未改动")
        print(f"{r.code:<12} {r.name:<12} {r.items:>3} 项  {state}")
    return 0


def cmd_locations_link(args: argparse.Namespace) -> int:
    from dangan.locations.services import tree_from_texts

    created, linked = tree_from_texts(actor=None)
    print(f"新建位置 {created} 个,关联档案 {linked} 份 (places created, dossiers linked)")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from dangan.accounts.services import user_create

    user, password = user_create(
        actor=None,
        username=args.username,
        roles=args.role,
        password=args.password,
        department=args.department or "",
        full_name=args.full_name or "",
    )
    print(f"已创建用户 (user created): {user.username}")
    if args.password is None:
        print(f"初始密码 (password): {password}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from dangan.accounts.models import User
    from dangan.accounts.services import token_create

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        print(f"用户不存在: {args.username}", file=sys.stderr)
        return 2
    print(token_create(actor=None, user=user, name=args.name or "cli"))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from dangan.verify import verify_all

    anchor = None
    if args.anchor:
        anchor = _read_anchor(args.anchor)
        if anchor is None:
            return 2
    problems = 0
    for line, ok in verify_all(anchor=anchor, repair=args.repair):
        print(("OK    " if ok else "FAIL  ") + line)
        problems += 0 if ok else 1
    if args.save_anchor:
        if problems:
            print("校验未通过,未保存链头 (anchor not saved)", file=sys.stderr)
        else:
            _write_anchor(args.save_anchor)
    return 1 if problems else 0


def _read_anchor(path: str) -> ChainHead | None:
    """A saved head, or None after saying what is wrong with the file."""
    import json

    from dangan.audit.services import ChainHead

    try:
        with open(path, encoding="utf-8") as handle:
            return ChainHead.from_dict(json.load(handle))
    except (OSError, ValueError) as exc:
        print(f"无法读取链头文件 (cannot read the anchor) {path}: {exc}", file=sys.stderr)
        return None


def _write_anchor(path: str) -> None:
    """Write the audit chain's current head to `path` (replaced atomically)."""
    import json

    from dangan.audit.services import chain_head

    head = chain_head()
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(head.as_dict(), handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.replace(temporary, path)
    print(f"已保存审计链头 (anchor saved) {head.describe()} -> {path}")


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    """Check the chain, then save its head outside the database (or print it)."""
    import json

    from dangan.verify import verify_chain

    failed = False
    for line, ok in verify_chain():
        if not ok:
            print("FAIL  " + line, file=sys.stderr)
            failed = True
    if failed:
        print("审计链校验未通过,未保存链头 (chain broken, anchor not saved)", file=sys.stderr)
        return 1
    if args.output:
        _write_anchor(args.output)
    else:
        from dangan.audit.services import chain_head

        print(json.dumps(chain_head().as_dict(), ensure_ascii=False))
    return 0


def cmd_search_rebuild(args: argparse.Namespace) -> int:
    from dangan.core.bulk import refresh_statistics
    from dangan.search.services import rebuild_index

    counts = rebuild_index()
    refresh_statistics()
    print(
        f"检索索引已重建:客户 {counts['customer']} 条,档案 {counts['dossier']} 条,"
        f"文件 {counts['document']} 条。"
    )
    return 0


def cmd_audit_prune(args: argparse.Namespace) -> int:
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from dangan.audit.services import audit_prune

    days = args.days if args.days is not None else settings.DANGAN_AUDIT_RETENTION_DAYS
    if not days:
        print("审计日志保留期限为永久(DANGAN_AUDIT_RETENTION_DAYS 未设置),未删除任何记录。")
        return 0
    count = audit_prune(before=timezone.now() - datetime.timedelta(days=days))
    print(f"已删除 {count} 条早于 {days} 天的审计记录;哈希链从保留的第一条起仍可校验。")
    return 0


def _cli_actor(username: str | None, code: str) -> User:
    from dangan.accounts import policy
    from dangan.accounts.models import User
    from dangan.core.errors import ApplicationError

    users = User.objects.filter(is_active=True).prefetch_related("roles").order_by("pk")
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise ApplicationError(f"用户 {username} 不存在或已停用")
        return user
    for user in users:
        if policy.has_perm(user, code):
            return user
    raise ApplicationError("没有具备该权限的用户,请用 --user 指定")


def cmd_import(args: argparse.Namespace) -> int:
    """Import a sheet of customers in the foreground, printing progress and the report."""
    from pathlib import Path

    from dangan.accounts import permissions as perms
    from dangan.importer.services import import_job_create, import_run, parse_map

    actor = _cli_actor(args.user, perms.DATA_IMPORT)
    job = import_job_create(
        actor=actor,
        path=Path(args.file),
        archive_type=args.archive_type or "",
        dry_run=args.dry_run,
        overrides=parse_map(args.map or []),
    )
    _import_columns(job)
    return _import_report(import_run(job=job, progress=_import_progress))


def _import_columns(job: ImportJob) -> None:
    """Say which columns are not imported, and how to map them."""
    from dangan.importer.services import unused_columns

    unused = unused_columns(job.mapping)
    if unused:
        names = "、".join(h or "(无表头)" for h in unused)
        print(f'未导入的列: {names}(可用 --map "表头=字段" 指定导入为哪个字段)', flush=True)


def _import_progress(job: ImportJob) -> None:
    print(f"进度: {job.processed_rows}/{job.total_rows} 行", flush=True)


def _import_report(job: ImportJob) -> int:
    from dangan.importer.models import ImportJob as Job

    for row in job.row_reports():
        if row.get("status") == "error":
            text = ";".join(f"{e['field']}:{e['message']}" for e in row.get("errors", []))
            print(f"第 {row['row']} 行 错误 {row.get('name', '')} {text}")
        elif row.get("status") == "updated":
            print(
                f"第 {row['row']} 行 更新 {row.get('name', '')} {'、'.join(row.get('notes', []))}"
            )
    counts = job.report.get("counts", {})
    mode = "试导入(未写入)" if job.dry_run else "导入"
    print(
        f"{mode}完成: 新建 {counts.get('created', 0)},更新 {counts.get('updated', 0)},"
        f"无变化 {counts.get('unchanged', 0)},错误 {counts.get('error', 0)}"
    )
    skipped = job.report.get("skipped") or {}
    if skipped:
        print(
            f"跳过 {sum(skipped.values())} 行: 空行 {skipped.get('blank', 0)},"
            f"合计行 {skipped.get('total', 0)}(不是客户,未导入也不算错误)"
        )
    if job.status == Job.Status.FAILED:
        print(f"导入中断: {job.error};已写入的行: {job.report.get('committed')}", file=sys.stderr)
        return 1
    return 0


def cmd_import_resume(args: argparse.Namespace) -> int:
    """Go on with a failed or interrupted import job in the foreground."""
    from dangan.core.errors import NotFound
    from dangan.importer.models import ImportJob
    from dangan.importer.services import import_job_resume, import_run

    job = ImportJob.objects.select_related("created_by").filter(pk=args.job).first()
    if job is None:
        raise NotFound(f"导入任务 {args.job} 不存在")
    actor = _cli_actor(args.user or job.created_by.username, "")
    job = import_job_resume(actor=actor, job=job)
    print(f"继续导入任务 {job.pk}:已写入 {job.committed_rows} 行,从其后继续", flush=True)
    return _import_report(import_run(job=job, progress=_import_progress))


def cmd_disposal_due(args: argparse.Namespace) -> int:
    """List the dossiers whose retention has ended (到期档案), oldest expiry first."""
    from dangan.accounts import permissions as perms
    from dangan.disposal.selectors import due_list

    actor = _cli_actor(args.user, perms.DISPOSAL_PROPOSE)
    found = due_list(actor)
    for due in found:
        d = due.dossier
        if due.document is not None:  # a document past its own retention: 档号-件号
            number = f"{d.archive_number}-{due.document.piece_number:03d}"
            print(
                f"{due.expires.isoformat()}  {number}  {d.archive_type.code}  {due.document.title}"
            )
        else:
            print(
                f"{due.expires.isoformat()}  {d.archive_number}  {d.archive_type.code}  {d.title}"
            )
    pieces = sum(due.document is not None for due in found)
    print(f"共 {len(found) - pieces} 卷、{pieces} 件保管期满 ({len(found)} due)")
    return 0


def cmd_import_cancel(args: argparse.Namespace) -> int:
    """Give up a failed or interrupted import job, or a dry run: its sheet is deleted."""
    from dangan.core.errors import NotFound
    from dangan.importer.models import ImportJob
    from dangan.importer.services import import_job_cancel

    job = ImportJob.objects.select_related("created_by").filter(pk=args.job).first()
    if job is None:
        raise NotFound(f"导入任务 {args.job} 不存在")
    actor = _cli_actor(args.user or job.created_by.username, "")
    job = import_job_cancel(actor=actor, job=job)
    print(f"已取消导入任务 {job.pk}(已写入的 {job.committed_rows} 行保留),上传的文件已删除")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export the customer or dossier list, or the matches of a search (as the user sees
    them), to an Excel file."""
    import shutil

    from dangan.accounts import permissions as perms
    from dangan.importer import exports
    from dangan.search.selectors import FILTER_KEYS

    if args.what == "all":
        return backup_cli.cmd_export_all(args)
    actor = _cli_actor(args.user, perms.DATA_EXPORT)
    if args.what == "search":
        filters = {k: v for k, _sep, v in (item.partition("=") for item in args.filter)}
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if not args.q or unknown:
            print(f"请用 --q 给出检索词;筛选条件可用: {', '.join(FILTER_KEYS)}", file=sys.stderr)
            return 2
        out, count = exports.search_xlsx(actor=actor, raw=args.q, filters=filters)
    else:
        make = exports.customers_xlsx if args.what == "customers" else exports.dossiers_xlsx
        out, count = make(actor=actor, filters={})
    with open(args.output or f"{args.what}.xlsx", "wb") as target:
        shutil.copyfileobj(out, target)
    print(f"已导出 {count} 行到 {args.output or f'{args.what}.xlsx'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dangan", description="Dangan 客户档案管理系统 — 运维命令 (operations)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="创建/升级数据库并创建首个管理员 (create/migrate, first admin)")
    p.add_argument("--admin-username", default="admin")
    p.add_argument("--admin-password", default=None)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="init + 加载行业模板 + 演示数据 (templates and demo data)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--per-type", type=int, default=6)
    p.add_argument("--admin-password", default=None)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="启动生产级服务 (gunicorn) 于 127.0.0.1:8000")
    p.add_argument("--host", default=os.environ.get("DANGAN_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("DANGAN_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("DANGAN_WORKERS", "3")))
    p.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("DANGAN_THREADS", "1")),
        help="每个进程的线程数 (threads per worker process)",
    )
    p.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="后台任务进程:到期提醒等 (background tasks)")
    p.add_argument("--interval", type=float, default=5.0, help="轮询间隔(秒)")
    p.add_argument("--reminder-hours", type=float, default=6.0, help="每隔几小时排入到期提醒")
    p.add_argument(
        "--anchor-minutes",
        type=float,
        default=float(os.environ.get("DANGAN_AUDIT_ANCHOR_MINUTES", "60")),
        help="每隔几分钟把审计链头写入日志 (log the audit chain head)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("reminders", help="立即发送借阅到期/逾期提醒")
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("templates", help="档案类型模板 (archive-type templates)")
    tsub = p.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    t = tsub.add_parser("load", help="从 YAML 加载七类行业模板 (load the industry templates)")
    t.add_argument("--dir", default=None, help="模板目录 (default: bundled seed templates)")
    t.add_argument("--update", action="store_true", help="覆盖已存在的模板设置")
    t.set_defaults(func=cmd_templates_load)

    p = sub.add_parser("locations", help="库房与存放位置 (the archive room's places)")
    lsub = p.add_subparsers(dest="subcommand", required=True)
    lk = lsub.add_parser(
        "link", help="按档案已登记的位置文字建立库房位置并关联 (tree from the texts)"
    )
    lk.set_defaults(func=cmd_locations_link)

    p = sub.add_parser("user", help="用户 (users)")
    usub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    u = usub.add_parser("create", help="创建用户 (create a user)")
    u.add_argument("username")
    u.add_argument("--role", action="append", required=True, help="角色代码,可重复")
    u.add_argument("--department", default=None)
    u.add_argument("--password", default=None)
    u.add_argument("--full-name", default=None)
    u.set_defaults(func=cmd_user_create)

    p = sub.add_parser("token", help="API 令牌 (API tokens)")
    ksub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    k = ksub.add_parser("create", help="为用户签发 API 令牌并打印")
    k.add_argument("username")
    k.add_argument("--name", default=None)
    k.set_defaults(func=cmd_token_create)

    p = sub.add_parser("audit", help="审计日志维护 (audit trail maintenance)")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = asub.add_parser("prune", help="按保留期限删除过期审计记录(至少保留 183 天)")
    a.add_argument(
        "--days", type=int, default=None, help="保留天数(默认取 DANGAN_AUDIT_RETENTION_DAYS)"
    )
    a.set_defaults(func=cmd_audit_prune)
    a = asub.add_parser(
        "anchor", help="校验审计链并把链头保存到数据库之外 (save the chain head outside the DB)"
    )
    a.add_argument("-o", "--output", default=None, help="保存到此文件(默认打印 JSON)")
    a.set_defaults(func=cmd_audit_anchor)

    p = sub.add_parser("disposal", help="鉴定与销毁 (retention and disposal)")
    dsub = p.add_subparsers(dest="what", required=True)
    d = dsub.add_parser("due", help="列出保管期满的档案 (dossiers past their retention)")
    d.add_argument("--user", default=None, help="以此用户身份(默认:首个可编制销毁清单的用户)")
    d.set_defaults(func=cmd_disposal_due)
    archives_cli.year_close_parser(sub)

    p = sub.add_parser("search", help="检索索引 (search index)")
    ssub = p.add_subparsers(dest="search_command", metavar="ACTION", required=True)
    s = ssub.add_parser("rebuild", help="重建全部检索索引 (rebuild the search index)")
    s.set_defaults(func=cmd_search_rebuild)

    p = sub.add_parser("verify", help="校验文件完整性与审计链 (fixity + audit chain)")
    p.add_argument(
        "--anchor", default=None, metavar="FILE", help="对照此前保存的审计链头校验 (check against)"
    )
    p.add_argument(
        "--save-anchor", default=None, metavar="FILE", help="校验通过后把当前链头保存到此文件"
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="删除孤立文件(中断的上传留下的、无记录引用的文件),并记入审计日志",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("import", help="导入 Excel/CSV 客户 (import customers)")
    isub = p.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    i = isub.add_parser("customers", help="导入客户(可同时建档)")
    i.add_argument("file")
    i.add_argument("--archive-type", default=None, help="同时为每位客户建此类型的档案")
    i.add_argument("--dry-run", action="store_true", help="只校验并报告,不写入")
    i.add_argument(
        "--map",
        action="append",
        metavar="表头=字段",
        help="把某列导入为某字段(字段代码或名称,如 手机号(选填)=mobile);可重复;“表头=”不导入该列",
    )
    i.add_argument("--user", default=None, help="以此用户身份导入(默认:首个有导入权限的用户)")
    i.set_defaults(func=cmd_import)
    r = isub.add_parser("resume", help="继续一个失败或中断的导入任务 (resume a job)")
    r.add_argument("job", type=int, help="导入任务编号")
    r.add_argument("--user", default=None, help="任务的发起人(默认:首个有导入权限的用户)")
    r.set_defaults(func=cmd_import_resume)
    c = isub.add_parser("cancel", help="放弃一个失败、中断或试导入完成的任务,删除上传的文件")
    c.add_argument("job", type=int, help="导入任务编号")
    c.add_argument("--user", default=None, help="任务的发起人(默认:任务的发起人)")
    c.set_defaults(func=cmd_import_cancel)
    backup_cli.import_all_parser(isub)

    p = sub.add_parser("export", help="导出客户、档案列表或检索结果为 Excel (export lists)")
    p.add_argument("what", choices=["customers", "dossiers", "search", "all"])
    p.add_argument("--q", default=None, help="检索词(search 时必填)")
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="检索筛选条件,可重复,如 archive_type=RE-SALE",
    )
    p.add_argument("-o", "--output", default=None)
    p.add_argument("--user", default=None, help="以此用户身份导出(按其权限过滤与脱敏)")
    p.set_defaults(func=cmd_export)

    backup_cli.backup_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    # Every file a command creates (database, scans, keys, exports) is for the user
    # running Dangan only (#22).
    os.umask(0o077)
    if not getattr(args, "django", True):
        # `dangan restore`: no settings for the target, so that no key is made there.
        return int(args.func(args))
    _setup()
    from dangan.backups.gate import KeysProblem, keys_gate
    from dangan.core.errors import ApplicationError

    _hold_lock()
    try:
        new = args.command in ("init", "demo") or getattr(args, "import_kind", "") == "all"
        if getattr(args, "gate", True) and keys_gate(may_create=new):
            print("已为新数据库生成密钥文件 (keys file created): 请随备份妥善保管。")
    except KeysProblem as exc:
        print(f"错误: {exc.message}", file=sys.stderr)
        return 3
    try:
        result: int = args.func(args)
    except ApplicationError as exc:
        print(f"错误: {exc.message}", file=sys.stderr)
        return 2
    return result


def _hold_lock() -> None:
    """A shared lock on DATA_DIR/dangan.lock while the command runs (the server's worker
    processes inherit it): `dangan restore` refuses a data dir that a running instance
    holds."""
    import fcntl

    from django.conf import settings

    if _LOCK:
        return
    handle = open(settings.DATA_DIR / "dangan.lock", "a")  # noqa: SIM115 - held until exit
    fcntl.flock(handle, fcntl.LOCK_SH)
    _LOCK.append(handle)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
