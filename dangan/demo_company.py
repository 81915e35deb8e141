"""Demo company files (#23 §8): the customer-less types' dossiers (公司日常档案), kept by
the sales departments, for dangan/demo.py."""

from __future__ import annotations

from collections.abc import Callable

from dangan.accounts.models import User
from dangan.archives.company import company_dossier_create
from dangan.archives.models import ArchiveType
from dangan.archives.services import dossier_locate


def company_files(
    clerk: User,
    owners: tuple[User, User],
    per_type: int,
    *,
    location: Callable[[int], dict[str, str]],
) -> None:
    """per_type files of each active customer-less type, by turns in the owners'
    departments, each placed where location(n) says."""
    for archive_type in ArchiveType.objects.filter(is_active=True, customer_less=True):
        for n in range(per_type):
            department = owners[n % 2].department
            if department is None:
                continue
            dossier = company_dossier_create(
                actor=clerk,
                archive_type=archive_type,
                department=department,
                title=f"{department.name} 2026年第{n + 1}季度经理会议纪要",
            )
            dossier_locate(actor=clerk, dossier=dossier, location=location(n))
