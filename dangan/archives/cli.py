"""`dangan year-close` (年度立卷, archives.volumes): close a year for an archive type, for a
department or all, or list what it would bind (--dry-run). Its parser is added to the
console script's by dangan.cli."""

from __future__ import annotations

import argparse


def cmd_year_close(args: argparse.Namespace) -> int:
    from dangan.accounts import permissions as perms
    from dangan.archives import volumes
    from dangan.archives.lifecycle import status_label
    from dangan.archives.selectors import archive_type_by_key, department_by_code
    from dangan.cli import _cli_actor

    archive_type = archive_type_by_key(args.type, "type")
    department = department_by_code(args.department)
    actor = _cli_actor(args.user, perms.DOSSIER_STATUS)
    if not args.dry_run:
        volume = volumes.year_close(
            actor=actor, archive_type=archive_type, year=args.year, department=department
        )
        print(
            f"{archive_type.code} {volume.year} 年度已立卷:共 {volume.volumes} 卷,"
            f"另行装订 {volume.apart} 卷 (closed: {volume.volumes} volumes, {volume.apart} apart)"
        )
        return 0
    plan = volumes.year_plan(
        actor=actor, archive_type=archive_type, year=args.year, department=department
    )
    for dossier, apart, number in volumes.numbered(plan):
        label = status_label(archive_type, dossier.status)
        mark = f"{'另' if apart else ''}{number}"
        print(f"{mark:>5}  {dossier.archive_number}  {dossier.title}  {label}")
    print(
        f"将编卷号 {len(plan.volumes)} 卷,另行装订 {len(plan.apart)} 卷"
        f"{'(补充立卷)' if plan.closed else ''} (dry run: nothing written)"
    )
    if plan.on_loan:
        print("借出未还,须归还后才能立卷: " + " ".join(d.archive_number for d in plan.on_loan))
    if plan.hidden:
        print(f"另有 {plan.hidden} 卷不在该用户可登记的范围内")
    return 0


def year_close_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("year-close", help="年度立卷:编卷号、封卷,终止/迁出档案另行装订")
    p.add_argument("--type", required=True, help="档案类型代码,如 CAR-SALE")
    p.add_argument("--year", required=True, type=int, help="年度,如 2025(不晚于今年)")
    p.add_argument("--department", default=None, help="部门代码(默认:全部部门)")
    p.add_argument("--dry-run", action="store_true", help="只列出将立卷的档案,不封卷")
    p.add_argument("--user", default=None, help="以此用户身份(默认:首个可登记档案状态的用户)")
    p.set_defaults(func=cmd_year_close)
