"""The `dangan` commands of backups, restore, keys and the full export (issue 22):
`dangan backup`, `restore`, `keys restore|rotate`, `export all` and `import all`. Their
parsers are added to the console script's by dangan.cli."""

from __future__ import annotations

import argparse
import os
import sys

PASSPHRASE_ENV = "DANGAN_BACKUP_PASSPHRASE"  # noqa: S105 - a variable's name


def cmd_export_all(args: argparse.Namespace) -> int:
    """The whole instance in the documented export format (a zip; ID numbers in clear)."""
    from pathlib import Path

    from dangan.backups.portable import export_all

    if not args.output:
        print("请用 -o 指定导出文件 (use -o FILE)", file=sys.stderr)
        return 2
    done = export_all(output=Path(args.output))
    print(f"已导出 (exported) {done.rows} 行、{done.files} 个文件到 {done.path}(权限 0600)")
    print(
        "警告:导出文件含明文证件号码,是完整的可携带副本,请像纸质档案一样妥善保管"
        " (WARNING: ID numbers in clear; keep this file safe)",
        file=sys.stderr,
    )
    return 0


def cmd_import_all(args: argparse.Namespace) -> int:
    """Read a full export into an empty instance (migrated first)."""
    from pathlib import Path

    from django.core.management import call_command

    from dangan.backups.portable import import_all

    call_command("migrate", interactive=False, verbosity=0)
    counts = import_all(source=Path(args.file))
    print(f"已导入 (imported) {sum(counts.values())} 行;接着运行 dangan verify 校验")
    return 0


def import_all_parser(isub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    i = isub.add_parser(
        "all", help="把 dangan export all 的完整导出读入空实例 (read a full export)"
    )
    i.add_argument("file")
    i.set_defaults(func=cmd_import_all)


def _passphrase(*, confirm: bool) -> str:
    """The backup passphrase: DANGAN_BACKUP_PASSPHRASE, or asked at the terminal."""
    import getpass

    value = os.environ.get(PASSPHRASE_ENV, "")
    if value:
        return value
    if not sys.stdin.isatty():
        raise SystemExit(
            f"错误: 请设置 {PASSPHRASE_ENV} 或在终端中运行以输入备份口令 (no passphrase)"
        )
    value = getpass.getpass("备份口令 (backup passphrase): ")
    if confirm and getpass.getpass("再次输入 (again): ") != value:
        raise SystemExit("错误: 两次输入的口令不一致 (passphrases differ)")
    return value


def cmd_backup(args: argparse.Namespace) -> int:
    """Write one backup now, check it, and say where it is and what it holds."""
    from pathlib import Path

    from dangan.backups import services
    from dangan.backups.models import BackupRun

    passphrase = _passphrase(confirm=True)
    run = services.backup_request(actor=None, trigger=BackupRun.Trigger.CONSOLE)
    run = services.backup_execute(
        run=run,
        passphrase=passphrase,
        destination=Path(args.to) if args.to else None,
        prune=args.to is None,  # a directory of the operator's choosing is left as it is
    )
    print(f"备份已写入并校验 (backup written and verified): {run.path}")
    print(
        f"大小 (size): {(run.size or 0) / 2**20:.1f} MB;记录 (records): {run.records};"
        f"存储文件 (files): {run.files};审计链头 (audit head): #{run.audit_seq} {run.audit_hash}"
    )
    if run.error:
        print(f"警告 (warning): {run.error}", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into an empty data dir (and database), then run `dangan verify`
    on the result."""
    import subprocess
    from pathlib import Path

    import dj_database_url

    from dangan.backups.restore import RestoreError, restore

    data_dir = Path(args.data_dir or os.environ.get("DANGAN_DATA_DIR") or "./var")
    url = os.environ.get("DANGAN_DATABASE_URL", "")
    try:
        result = restore(
            backup=Path(args.backup),
            data_dir=data_dir,
            passphrase=lambda: _passphrase(confirm=False),
            force=args.force,
            database=dict(dj_database_url.parse(url)) if url else None,
        )
    except RestoreError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    print(f"已恢复到 (restored into): {result.data_dir}")
    print(
        f"记录 (records): {result.records};存储文件 (files): {result.files};"
        f"审计链头 (audit head): #{result.audit_seq}"
    )
    if result.set_aside is not None:
        print(f"原数据目录已改名保留 (previous data kept at): {result.set_aside}")
    if result.storage == "s3":
        print(
            "文件已恢复到数据目录的 files/;使用 S3 存储时请将其上传到存储桶"
            " (S3 storage: upload files/ to the bucket, e.g. aws s3 sync files/ s3://BUCKET/)"
        )
    env = {**os.environ, "DANGAN_DATA_DIR": str(result.data_dir)}
    anchor = str(Path(args.backup) / "audit-anchor.json")
    print("正在校验恢复的实例 (dangan verify --anchor)…", flush=True)
    command = [sys.executable, "-m", "dangan.cli", "verify", "--anchor", anchor]
    return subprocess.call(command, env=env)  # noqa: S603 - our own command


def cmd_keys_restore(args: argparse.Namespace) -> int:
    """Put back a lost keys file from a backup, when the database is still there."""
    from pathlib import Path

    from dangan.backups.gate import keys_restore

    path = keys_restore(backup=Path(args.backup), passphrase=lambda: _passphrase(confirm=False))
    print(f"已从备份恢复密钥文件 (keys file restored): {path}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Re-encrypt every encrypted value under a new field key (and lookup key)."""
    from dangan.backups.rotate import keys_rotate

    done = keys_rotate(lookup=args.lookup)
    print(
        f"已轮换密钥 (keys rotated): field_key{'、lookup_key' if done.lookup else ''};"
        f"重新加密客户 {done.customers}、关系人 {done.related_persons}、"
        f"两步验证密钥 {done.users} 条"
    )
    print(
        f"旧密钥文件保留为 (old keys kept as) {done.kept},下次备份成功后删除;"
        "请尽快运行 dangan backup (run a backup now)"
    )
    return 0


def backup_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help="备份数据库、全部存储文件与密钥(口令加密),写完后校验 (verified backup)",
    )
    p.add_argument("--to", default=None, help="备份目录(默认 DATA_DIR/backups);在其中新建一项")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore", help="从备份恢复到空的数据目录(及空数据库),并校验 (restore a backup)"
    )
    p.add_argument("backup", help="备份目录 (dangan-backup-…)")
    p.add_argument("--data-dir", default=None, help="目标数据目录(默认 DANGAN_DATA_DIR)")
    p.add_argument(
        "--force", action="store_true", help="目标不为空时替换(原目录改名保留;不同实例仍拒绝)"
    )
    p.set_defaults(func=cmd_restore, django=False)

    p = sub.add_parser("keys", help="密钥文件 (keys file)")
    ksub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    k = ksub.add_parser(
        "restore", help="从备份取回丢失的密钥文件(须与数据库相符)(restore the keys file)"
    )
    k.add_argument("backup", help="备份目录 (dangan-backup-…)")
    k.set_defaults(func=cmd_keys_restore, gate=False)
    text = (
        "用新的字段密钥重新加密全部加密数据(一个事务);审计密钥 audit_key 不轮换,"
        "哈希链依赖它 (rotate the field key; the audit key is never rotated)"
    )
    k = ksub.add_parser("rotate", help=text, description=text)
    k.add_argument("--lookup", action="store_true", help="同时轮换检索密钥并重算检索哈希")
    k.set_defaults(func=cmd_keys_rotate)
