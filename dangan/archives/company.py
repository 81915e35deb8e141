"""Files that belong to no customer (issue 23 §8): company and department files —
日常档案 such as meeting minutes and sales reports (seed 003 #4), engineering and
department files (004). An archive type marked customer_less files its dossiers under a
department instead of a customer, with the same numbering ({dept} is that department),
locations, checklist, lifecycle, access rules (policy.customerless_filter) and audit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives import keys, numbering
from dangan.archives.fields import clean_custom_fields
from dangan.archives.models import ArchiveType, Dossier
from dangan.archives.services import _clean_location
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError
from dangan.search import services as search_services


def company_types() -> list[ArchiveType]:
    return list(ArchiveType.objects.filter(customer_less=True, is_active=True).order_by("id"))


def departments_for(actor: Any) -> list[Department]:
    """The departments the actor may open company files for (policy.file_departments)."""
    allowed = policy.file_departments(actor)
    departments = Department.objects.order_by("code")
    if allowed is not None:
        departments = departments.filter(pk__in=allowed)
    return list(departments)


@refusals_audited("create", "archive_type")
@transaction.atomic
def company_dossier_create(
    *,
    actor: User,
    archive_type: ArchiveType,
    department: Department,
    title: str = "",
    fields: dict[str, Any] | None = None,
    confidentiality: str = Dossier.Confidentiality.NORMAL,
    volume_year: int | None = None,
    location: dict[str, str] | None = None,
) -> Dossier:
    """Open a company file of `department` and allocate its number in one transaction."""
    policy.require(actor, perms.DOSSIER_CREATE)
    allowed = policy.file_departments(actor)
    if allowed is not None and department.pk not in allowed:
        raise ApplicationError(_("只能为本部门建立公司档案"), field="department")
    if not archive_type.customer_less or not archive_type.is_active:
        raise ApplicationError(_("该档案类型不是启用的公司档案类型"), field="archive_type")
    if confidentiality not in Dossier.Confidentiality.values:
        raise ApplicationError(_("密级无效"), field="confidentiality")
    cleaned = clean_custom_fields(archive_type.field_schema(), fields or {})
    keys.check_free(archive_type, cleaned)
    today = timezone.localdate()
    year = volume_year or today.year
    if not 1900 <= year <= today.year + 1:
        raise ApplicationError(_("年度不正确"), field="volume_year")
    dossier = Dossier(
        customer=None,
        department=department,
        archive_type=archive_type,
        title=title.strip() or f"{department.name} {archive_type.name} {year}",
        confidentiality=confidentiality,
        retention=archive_type.retention,
        volume_year=year,
        fields=cleaned,
        created_by=actor,
        **_clean_location(location or {}),
    )
    context = numbering.NumberContext(code=archive_type.code, date=today, dept=department.code)
    dossier.archive_number = numbering.allocate(archive_type.numbering, context)
    dossier.save(force_insert=True)
    keys.claim(dossier)
    audit_record(
        actor=actor,
        action="create",
        obj=dossier,
        detail={
            "archive_number": dossier.archive_number,
            "department": department.code,
            "type": archive_type.code,
        },
    )
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    return dossier
