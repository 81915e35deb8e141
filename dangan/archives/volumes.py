"""年度立卷 (issue 23 §6; seed 003 第7、14条, seed 001): closing a year for an archive type,
for one department or for all.

Closing a year binds the dossiers that belong to it: each is numbered (卷号) and may no
longer take, void or replace papers dated in or before that year. A dossier belongs to
the year the type's cross-year rule gives (ArchiveType.CrossYear: the year it was opened,
or the year of its latest valid document); a terminated or moved-out one belongs to the
year it ended and is bound apart (另行装订) with numbers and a catalogue of its own, even
when an earlier year's volumes held it (seed 001: 退租客户的资料须及时装订另存). Within each,
the order is the type's placement (building, unit, floor: 按楼层装入文件盒), then the
archive number.

A dossier on loan refuses the close (the paper must be back to be bound); a dossier the
closer may not register refuses it too (a department's manager closes their own
department). Closing a year closed already for the same type and department binds only
what was filed since, numbered on (补充立卷). All or nothing, audited per dossier.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives.models import ArchiveType, Dossier, DossierStatusChange, YearVolume
from dangan.audit.services import Event, audit_record, audit_record_many, refusals_audited
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.locations.natural import natural_key

# Bound apart from the year's volumes, with their own catalogue (seed 001).
APART = frozenset({Dossier.Status.TERMINATED, Dossier.Status.MOVED_OUT})
FIRST_YEAR = 1900
NOTE_MAX = 200


@dataclass
class Plan:
    """What closing a year binds, each list in number order: the year's volumes and the
    dossiers bound apart (those the actor may see: `hidden` counts the others), the ones
    on loan that refuse the close, and the closed year it adds to, if any."""

    volumes: list[Dossier] = field(default_factory=list)
    apart: list[Dossier] = field(default_factory=list)
    on_loan: list[Dossier] = field(default_factory=list)
    hidden: int = 0
    closed: YearVolume | None = None

    @property
    def empty(self) -> bool:
        return not (self.volumes or self.apart or self.hidden)


def check_year(year: object) -> int:
    """A year that has come (this one or earlier), else a field-named error."""
    try:
        number = int(str(year).strip())
    except (TypeError, ValueError):
        raise ApplicationError(_("年度应为四位数字,如 2025"), field="year") from None
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= number <= this_year:
        raise ApplicationError(
            _("只能对已到的年度立卷(%(first)s 至 %(this)s 年)")
            % {"first": FIRST_YEAR, "this": this_year},
            field="year",
        )
    return number


def closing_departments(actor: User) -> list[int] | None:
    """The departments whose years the actor may close: None for any (and for all at
    once), else their own (a department's manager)."""
    return policy.file_departments(actor)


def _check_actor(actor: User, department: Department | None) -> None:
    policy.require(actor, perms.DOSSIER_STATUS)
    allowed = closing_departments(actor)
    if allowed is None:
        return
    if department is None or department.pk not in allowed:
        raise ApplicationError(_("您只能为本部门的档案立卷,请选择本部门"), field="department")


def _in_department(found: QuerySet[Dossier], department: Department | None) -> QuerySet[Dossier]:
    if department is None:
        return found
    return found.filter(
        Q(customer__department=department) | Q(customer__isnull=True, department=department)
    )


def _candidates(
    archive_type: ArchiveType, year: int, department: Department | None
) -> QuerySet[Dossier]:
    """The type's (and department's) dossiers that may belong to `year` and are not bound
    yet, or bound in an earlier year's volumes and ended since; each with the date of its
    latest valid document and the date it ended."""
    from dangan.documents.models import Document

    unbound = Q(year_volume__isnull=True)
    ended_since = Q(
        status__in=APART, bound_apart=False, year_volume__isnull=False, year_volume__year__lt=year
    )
    found = (
        Dossier.objects.filter(archive_type=archive_type, volume_year__lte=year)
        .filter(unbound | ended_since)
        .exclude(status=Dossier.Status.DESTROYED)
    )
    if archive_type.cross_year == ArchiveType.CrossYear.OPENING:
        found = found.filter(Q(volume_year=year) | Q(status__in=APART))
    papers = Document.objects.filter(dossier=OuterRef("pk"), state=Document.State.VALID)
    endings = DossierStatusChange.objects.filter(dossier=OuterRef("pk"), to_status__in=APART)
    return _in_department(found, department).annotate(
        latest_paper=Subquery(papers.values("dossier").annotate(m=Max("doc_date")).values("m")[:1]),
        ended_on=Subquery(endings.values("dossier").annotate(m=Max("effective")).values("m")[:1]),
    )


def year_of(dossier: Dossier, rule: str) -> int:
    """The year whose volumes the dossier belongs to: the year it ended, for a terminated
    or moved-out one; else the type's cross-year rule's. Reads the annotations of
    _candidates (latest_paper, ended_on)."""
    ended: datetime.date | None = getattr(dossier, "ended_on", None)
    if dossier.status in APART and ended is not None:
        return ended.year
    latest: datetime.date | None = getattr(dossier, "latest_paper", None)
    if rule == ArchiveType.CrossYear.LATEST and latest is not None:
        return max(dossier.volume_year, latest.year)
    return dossier.volume_year


def in_binding_order(dossiers: Iterable[Dossier]) -> list[Dossier]:
    """The type's placement (楼栋 › 单元 › 楼层 › 房号, natural order), then the number."""
    return sorted(dossiers, key=lambda d: (d.placement_key or "", natural_key(d.archive_number)))


def _closed(
    archive_type: ArchiveType, year: int, department: Department | None
) -> YearVolume | None:
    """The closed year this close adds to (the same type and department); refused when
    the year is closed for all departments and one is asked, or the other way round."""
    closed = YearVolume.objects.filter(archive_type=archive_type, year=year)
    same = closed.filter(department=department).first()
    if same is not None:
        return same
    if department is not None and closed.filter(department__isnull=True).exists():
        raise InvalidTransition(
            _("%(type)s %(year)s 年度已按全部部门立卷") % {"type": archive_type.name, "year": year},
            field="department",
        )
    if department is None and closed.exists():
        names = "、".join(str(v.department) for v in closed.select_related("department"))
        raise InvalidTransition(
            _("%(type)s %(year)s 年度已按部门立卷(%(names)s),请按部门补充立卷")
            % {"type": archive_type.name, "year": year, "names": names},
            field="department",
        )
    return None


def _plan(actor: User, archive_type: ArchiveType, year: int, department: Department | None) -> Plan:
    rule = archive_type.cross_year
    chosen = [d for d in _candidates(archive_type, year, department) if year_of(d, rule) == year]
    visible = set(
        policy.dossiers_for(actor, action=perms.DOSSIER_STATUS)
        .filter(pk__in=[d.pk for d in chosen])
        .values_list("pk", flat=True)
    )
    shown = in_binding_order(d for d in chosen if d.pk in visible)
    return Plan(
        volumes=[d for d in shown if d.status not in APART],
        apart=[d for d in shown if d.status in APART],
        on_loan=[d for d in shown if d.status == Dossier.Status.ON_LOAN],
        hidden=len(chosen) - len(visible),
        closed=_closed(archive_type, year, department),
    )


def year_plan(
    *, actor: User, archive_type: ArchiveType, year: int, department: Department | None = None
) -> Plan:
    """What closing `year` would bind (the preview of the page, the API's dry run and
    `dangan year-close --dry-run`). Nothing is written."""
    _check_actor(actor, department)
    return _plan(actor, archive_type, check_year(year), department)


def _refuse(plan: Plan, archive_type: ArchiveType, year: int) -> None:
    if plan.hidden:
        raise Forbidden(
            _("其中 %(n)s 卷不在您可登记的范围内(如密级高于您的权限),请由档案室立卷")
            % {"n": plan.hidden}
        )
    if plan.on_loan:
        raise InvalidTransition(
            _("以下档案借出未还,须归还后才能立卷:%(list)s")
            % {"list": "、".join(d.archive_number for d in plan.on_loan[:10])},
            field="year",
        )
    if plan.empty and plan.closed is not None:
        raise InvalidTransition(
            _("%(type)s %(year)s 年度已立卷,此后没有新增的档案")
            % {"type": archive_type.name, "year": year},
            field="year",
        )
    if plan.empty:
        raise ApplicationError(_("该年度没有可立卷的档案"), field="year")


def numbered(plan: Plan) -> list[tuple[Dossier, bool, int]]:
    """Each dossier the plan binds, whether apart, and its number: 1..n, or on from the
    last number the closed year it adds to gave."""
    bound = []
    for apart, dossiers in ((False, plan.volumes), (True, plan.apart)):
        last = 0
        if plan.closed is not None:
            held = Dossier.objects.filter(year_volume=plan.closed, bound_apart=apart)
            last = held.aggregate(m=Max("volume_number"))["m"] or 0
        bound += [(d, apart, last + n) for n, d in enumerate(dossiers, start=1)]
    return bound


@refusals_audited("year_close", "archive_type")
@transaction.atomic
def year_close(
    *,
    actor: User,
    archive_type: ArchiveType,
    year: int,
    department: Department | None = None,
    note: str = "",
) -> YearVolume:
    """Close `year` for the type (and department): number its volumes, bind the ended
    dossiers apart, freeze their papers of that year. The type's row is locked first (two
    closes of one type queue), then the dossiers to bind (a loan or a paper added at the
    same time waits, or is seen)."""
    _check_actor(actor, department)
    year = check_year(year)
    archive_type = ArchiveType.objects.select_for_update().get(pk=archive_type.pk)
    if not archive_type.is_active:
        raise ApplicationError(_("该档案类型已停用"), field="archive_type")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ApplicationError(_("备注不超过 %(n)s 字") % {"n": NOTE_MAX}, field="note")
    locked = _candidates(archive_type, year, department).values_list("pk", flat=True)
    list(Dossier.objects.select_for_update().filter(pk__in=list(locked)).values_list("pk"))
    plan = _plan(actor, archive_type, year, department)
    _refuse(plan, archive_type, year)
    volume = plan.closed or YearVolume.objects.create(
        archive_type=archive_type,
        department=department,
        year=year,
        cross_year=archive_type.cross_year,
        closed_by=actor,
        note=note,
    )
    _bind(actor, volume, plan)
    return volume


def _bind(actor: User, volume: YearVolume, plan: Plan) -> None:
    """Write the numbers, the counts and the audit entries of one close."""
    events = []
    bound = numbered(plan)
    earlier = dict(
        YearVolume.objects.filter(
            pk__in={d.year_volume_id for d, _apart, _n in bound if d.year_volume_id}
        ).values_list("pk", "year")
    )
    for dossier, apart, number in bound:
        detail: dict[str, object] = {"year": volume.year, "volume_number": number}
        detail["bound_apart"] = apart
        if dossier.year_volume_id is not None:  # ended since an earlier year bound it
            detail["from_volume"] = f"{earlier[dossier.year_volume_id]}/{dossier.volume_number}"
        dossier.year_volume, dossier.volume_number, dossier.bound_apart = volume, number, apart
        events.append(Event("year_close", obj=dossier, detail=detail))
    Dossier.objects.bulk_update(
        [d for d, _apart, _n in bound],
        ["year_volume", "volume_number", "bound_apart"],
        batch_size=500,
    )
    added = (len(plan.volumes), len(plan.apart))
    appended = volume.volumes + volume.apart > 0
    volume.volumes += added[0]
    volume.apart += added[1]
    volume.save(update_fields=["volumes", "apart"])
    audit_record(
        actor=actor,
        action="year_close",
        obj=volume,
        detail={
            "type": volume.archive_type.code,
            "year": volume.year,
            "department": volume.department.name if volume.department else "",
            "cross_year": volume.cross_year,
            "volumes": added[0],
            "apart": added[1],
            "appended": appended,
        },
    )
    audit_record_many(actor=actor, events=events)


def frozen_message(year_volume_id: int | None, paper_date: datetime.date | None) -> str:
    """Why a paper dated `paper_date` (None: undated, today's) may not be added to, voided
    in or replaced in a dossier bound in the closed year `year_volume_id`: that year or an
    earlier one. Empty when it may."""
    if year_volume_id is None:
        return ""
    closed_year = YearVolume.objects.values_list("year", flat=True).get(pk=year_volume_id)
    if (paper_date or timezone.localdate()).year > closed_year:
        return ""
    return str(
        _(
            "该档案已于 %(year)s 年度立卷封卷,不能再增补、作废或替换 %(year)s 年及以前日期的"
            "文件;以后年度的文件可照常归入"
        )
        % {"year": closed_year}
    )


def volumes_for(actor: User) -> QuerySet[YearVolume]:
    """The closed years the actor may see: every one for the archive room, their own
    department's for a department's manager; none without dossier.status."""
    if not policy.has_perm(actor, perms.DOSSIER_STATUS):
        return YearVolume.objects.none()
    found = YearVolume.objects.select_related("archive_type", "department", "closed_by")
    allowed = closing_departments(actor)
    if allowed is not None:
        found = found.filter(department_id__in=allowed)
    return found


def access_volume(actor: User, pk: object) -> YearVolume:
    """One closed year, or the one NotFound for missing and not the actor's."""
    policy.require(actor, perms.DOSSIER_STATUS)
    try:
        key = int(str(pk))
    except ValueError:
        key = 0
    found = volumes_for(actor).filter(pk=key).first()
    if found is None:
        raise NotFound(_("年度立卷记录不存在"))
    return found


def volume_dossiers(actor: User, volume: YearVolume, *, apart: bool) -> QuerySet[Dossier]:
    """A closed year's dossiers the actor may see, in number order: its volumes, or those
    bound apart (the catalogue of 另行装订)."""
    return (
        policy.dossiers_for(actor)
        .filter(year_volume=volume, bound_apart=apart)
        .select_related("customer", "department", "archive_type")
        .order_by("volume_number")
    )


@dataclass
class Catalogue:
    """A closed year as its page shows it: its volumes and those bound apart that the
    actor may see, by 卷号; how many it holds that the actor may not see (a 密级 above
    theirs); and how many of its volumes were bound apart in a later year since."""

    volume: YearVolume
    bound: list[Dossier]
    apart: list[Dossier]
    hidden: int
    moved_on: int


def volume_catalogue(actor: User, volume: YearVolume) -> Catalogue:
    bound = list(volume_dossiers(actor, volume, apart=False))
    apart = list(volume_dossiers(actor, volume, apart=True))
    held = Dossier.objects.filter(year_volume=volume).aggregate(
        all=Count("pk"), in_volumes=Count("pk", filter=Q(bound_apart=False))
    )
    return Catalogue(
        volume=volume,
        bound=bound,
        apart=apart,
        hidden=held["all"] - len(bound) - len(apart),
        moved_on=max(volume.volumes - held["in_volumes"], 0),
    )
