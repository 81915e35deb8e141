"""Lists of the archive room on paper: a cabinet's list (档案柜文件清单, seed 002 4.2), the
storage list of a room (文件资料存储清单), labels for the places of a cabinet, the year's
catalogue of terminated and moved-out dossiers, and a closed year's catalogues (年度立卷:
its volumes, and those bound apart, by 卷号). Dossiers are listed in natural order of
their place, then of the type's placement fields (楼栋 › 单元 › 楼层 › 房号), then of their
number. Every print is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.lifecycle import status_label
from dangan.archives.models import Dossier, DossierStatusChange, YearVolume
from dangan.archives.volumes import volume_dossiers
from dangan.audit.services import audit_record
from dangan.core.display import retention_label
from dangan.documents.models import Document
from dangan.locations import services as places
from dangan.locations.models import Location, Move
from dangan.locations.natural import natural_key
from dangan.paper.sheets import LabelText, labels_pdf, printed_by, when
from dangan.reports.pdf import Column, render_table_pdf


def dossier_order(dossier: Dossier) -> tuple[Any, ...]:
    """Natural order: the place (room › cabinet › shelf › box › position), the type's
    placement fields (e.g. building, unit, floor, room of a house), the archive number."""
    place = tuple(natural_key(getattr(dossier, name)) for name in Dossier.LOCATION_FIELDS)
    fields = dossier.fields or {}
    placement = tuple(natural_key(fields.get(key, "")) for key in dossier.archive_type.placement)
    return (*place, placement, natural_key(dossier.archive_number))


def in_order(dossiers: Iterable[Dossier]) -> list[Dossier]:
    return sorted(dossiers, key=dossier_order)


def _within(node: Location, dossier: Dossier) -> str:
    """A dossier's place below `node` (the part a cabinet's list needs)."""
    depth = len(places.chain(node))
    return " › ".join(dossier.location_parts[depth:]) or "—"


def location_dossiers(actor: User, node: Location) -> QuerySet[Dossier]:
    """The dossiers kept in `node` or inside it that the actor may see."""
    return (
        policy.dossiers_for(actor)
        .filter(location_node_id__in=places.subtree_ids(node))
        .select_related("customer", "archive_type")
    )


def _require_room_staff(actor: User) -> None:
    policy.require(actor, perms.DOSSIER_LOCATE)


def _meta(actor: User, node: Location, count: int) -> list[tuple[str, str]]:
    meta = [(_("位置"), places.path_text(node)), (_("份数"), str(count))]
    if node.capacity:
        meta.append((_("容量"), str(node.capacity)))
    meta.append((_("打印"), printed_by(actor)))
    return meta


def _record(actor: User, node: Location, what: str, rows: int) -> None:
    audit_record(actor=actor, action="print", obj=node, detail={"what": what, "rows": rows})


@transaction.atomic
def cabinet_list_pdf(*, actor: User, node: Location) -> bytes:
    """档案柜文件清单: what the cabinet (or any place) holds, in order, with a column to
    tick on a check by hand."""
    _require_room_staff(actor)
    dossiers = in_order(location_dossiers(actor, node))
    pieces = dict(
        Document.objects.filter(dossier__in=[d.pk for d in dossiers], state="valid")
        .values_list("dossier")
        .annotate(n=Count("id"))
    )
    rows = [
        [
            str(index),
            d.archive_number,
            d.customer.name if d.customer else "",
            d.title,
            _within(node, d),
            str(pieces.get(d.pk, 0)),
            d.get_status_display(),
            "",
        ]
        for index, d in enumerate(dossiers, start=1)
    ]
    columns = [
        Column(_("序号"), 9),
        Column(_("档号"), 44),
        Column(_("客户"), 26),
        Column(_("案卷题名"), 42),
        Column(_("位置"), 17),
        Column(_("件数"), 10),
        Column(_("状态"), 13),
        Column(_("核对"), 10),
    ]
    content = render_table_pdf(
        title=_("档案柜文件清单"),
        subtitle=places.path_text(node),
        meta=_meta(actor, node, len(rows)),
        columns=columns,
        rows=rows,
        signatures=[_("核对人")],
        footer=f"{_('档案柜文件清单')} · {places.path_text(node)}",
    )
    _record(actor, node, "档案柜文件清单", len(rows))
    return content


@transaction.atomic
def storage_list_pdf(*, actor: User, node: Location) -> bytes:
    """文件资料存储清单: each dossier stored in the place, its pieces and pages, where it
    is and since when (seed 002 4.2: filled in after storing, for finding things)."""
    _require_room_staff(actor)
    dossiers = in_order(location_dossiers(actor, node))
    ids = [d.pk for d in dossiers]
    totals = {
        row["dossier"]: (row["n"], row["pages"] or 0)
        for row in Document.objects.filter(dossier__in=ids, state="valid")
        .values("dossier")
        .annotate(n=Count("id"), pages=Sum("pages"))
    }
    since: dict[int, Any] = {}
    for move in Move.objects.filter(dossier__in=ids).order_by("moved_at"):
        since[move.dossier_id] = move.moved_at
    rows = []
    for index, d in enumerate(dossiers, start=1):
        count, pages = totals.get(d.pk, (0, 0))
        rows.append(
            [
                str(index),
                d.archive_number,
                d.title,
                d.archive_type.name,
                str(count),
                str(pages),
                " › ".join(d.location_parts),
                when(since.get(d.pk) or d.created_at)[:10],
                "",
            ]
        )
    columns = [
        Column(_("序号"), 10),
        Column(_("档号"), 44),
        Column(_("资料名称"), 56),
        Column(_("档案类型"), 26),
        Column(_("件数"), 10),
        Column(_("页数"), 10),
        Column(_("存放位置"), 48),
        Column(_("存放日期"), 22),
        Column(_("备注"), 24),
    ]
    content = render_table_pdf(
        title=_("文件资料存储清单"),
        subtitle=places.path_text(node),
        meta=_meta(actor, node, len(rows)),
        columns=columns,
        rows=rows,
        landscape=True,
        signatures=[_("资料管理员")],
        footer=f"{_('文件资料存储清单')} · {places.path_text(node)}",
    )
    _record(actor, node, "文件资料存储清单", len(rows))
    return content


def _place_label(actor: User, node: Location) -> LabelText:
    dossiers = in_order(location_dossiers(actor, node))
    numbers = [d.archive_number for d in dossiers]
    span = f"{numbers[0]} – {numbers[-1]}" if len(numbers) > 1 else "".join(numbers)
    count = _("%(n)s 份") % {"n": len(numbers)}
    path = places.path_text(node)
    return LabelText(
        number=path.rsplit(" › ", 1)[-1],
        lines=(path, f"{count} {span}".strip()),
        barcode="",
        payload=f"LOC-{node.pk}",
    )


@transaction.atomic
def place_labels_pdf(*, actor: User, node: Location, start: int = 0) -> bytes:
    """Labels for the places inside `node` (its shelves or boxes), or for `node` itself
    when nothing is inside it: the place, the count and the first and last numbers."""
    _require_room_staff(actor)
    children = list(node.children.all()) or [node]
    labels = [_place_label(actor, child) for child in children]
    content = labels_pdf(labels, title=_("位置标签"), start=start)
    _record(actor, node, "位置标签", len(labels))
    return content


CLOSED = (Dossier.Status.TERMINATED, Dossier.Status.MOVED_OUT)


def closed_dossiers(actor: User, year: int) -> list[tuple[Dossier, str]]:
    """Dossiers terminated or moved out in `year`, each with the date it happened: the
    effective date of its status change (archives.lifecycle), else the property type's
    迁出日期, else (records from before status changes were kept) the day it last changed."""
    changes = DossierStatusChange.objects.filter(to_status__in=CLOSED, effective__year=year)
    dates = {c.dossier_id: str(c.effective) for c in changes.order_by("at")}
    visible = policy.dossiers_for(actor).select_related("customer", "archive_type")
    found = visible.filter(
        Q(pk__in=list(dates))
        | Q(fields__move_out_date__startswith=f"{year}-")
        | Q(status__in=CLOSED, updated_at__year=year, status_changes__isnull=True)
    ).distinct()
    rows = []
    for dossier in in_order(found):
        moved = str((dossier.fields or {}).get("move_out_date") or "")
        day = timezone.localtime(dossier.updated_at).date().isoformat()
        rows.append((dossier, dates.get(dossier.pk) or moved or day))
    return rows


@transaction.atomic
def closed_catalogue_pdf(*, actor: User, year: int) -> bytes:
    """The year's catalogue (目录) of terminated and moved-out dossiers."""
    policy.require(actor, perms.DOSSIER_VIEW)
    rows = [
        [
            str(index),
            d.archive_number,
            d.customer.name if d.customer else "",
            d.archive_type.name,
            str(d.volume_year),
            status_label(d.archive_type, d.status),
            day,
            " › ".join(d.location_parts),
            retention_label(d.retention),
        ]
        for index, (d, day) in enumerate(closed_dossiers(actor, year), start=1)
    ]
    columns = [
        Column(_("序号"), 10),
        Column(_("档号"), 44),
        Column(_("客户"), 36),
        Column(_("档案类型"), 28),
        Column(_("年度"), 12),
        Column(_("状态"), 16),
        Column(_("终止/迁出日期"), 24),
        Column(_("存放位置"), 46),
        Column(_("保管期限"), 18),
    ]
    content = render_table_pdf(
        title=_("终止及迁出档案目录"),
        subtitle=_("%(y)d 年度") % {"y": year},
        meta=[(_("份数"), str(len(rows))), (_("打印"), printed_by(actor))],
        columns=columns,
        rows=rows,
        landscape=True,
        signatures=[_("档案管理员")],
        footer=_("终止及迁出档案目录 %(y)d") % {"y": year},
    )
    audit_record(
        actor=actor,
        action="print",
        object_type="catalogue",
        object_repr=f"终止及迁出档案目录 {year}",
        detail={"what": "终止及迁出档案目录", "year": year, "rows": len(rows)},
    )
    return content


def _placement_text(dossier: Dossier) -> str:
    """The type's placement fields of the dossier (1号楼 2单元 12层 1203), as filled in."""
    fields = dossier.fields or {}
    values = [str(fields.get(key) or "").strip() for key in dossier.archive_type.placement]
    return " / ".join(value for value in values if value)


@transaction.atomic
def year_volume_catalogue_pdf(*, actor: User, volume: YearVolume, apart: bool) -> bytes:
    """A closed year's catalogue: the year's volumes by 卷号 (案卷目录), or the terminated
    and moved-out dossiers bound apart (另行装订目录, seed 001: printed and boxed by floor).
    The caller has reached the volume through archives.volumes.access_volume."""
    policy.require(actor, perms.DOSSIER_STATUS)
    dossiers = list(volume_dossiers(actor, volume, apart=apart))
    ids = [d.pk for d in dossiers]
    pieces = dict(
        Document.objects.filter(dossier__in=ids, state="valid")
        .values_list("dossier")
        .annotate(n=Count("id"))
    )
    ended: dict[int, Any] = {}  # the latest ending of each, where recorded
    changes = DossierStatusChange.objects.filter(dossier__in=ids, to_status__in=CLOSED)
    for dossier_id, effective in changes.order_by("effective").values_list("dossier", "effective"):
        ended[dossier_id] = effective
    labels = {spec.get("key"): spec.get("label") for spec in volume.archive_type.field_schema()}
    placed = "/".join(str(labels.get(key) or key) for key in volume.archive_type.placement)
    columns = [
        Column(_("卷号"), 12),
        Column(_("档号"), 44),
        Column(_("客户") if not volume.archive_type.customer_less else _("部门"), 30),
        Column(_("案卷题名"), 46),
        *([Column(placed, 26)] if placed else []),
        Column(_("年度"), 12),
        *([Column(_("状态"), 14), Column(_("终止/迁出日期"), 24)] if apart else []),
        Column(_("件数"), 10),
        Column(_("保管期限"), 16),
        Column(_("备注"), 24),
    ]
    rows = []
    for d in dossiers:
        row = [
            str(d.volume_number),
            d.archive_number,
            d.customer.name if d.customer else (d.department.name if d.department else ""),
            d.title,
            *([_placement_text(d)] if placed else []),
            str(d.volume_year),
        ]
        if apart:
            row += [status_label(d.archive_type, d.status), str(ended.get(d.pk) or "")]
        row += [str(pieces.get(d.pk, 0)), retention_label(d.retention), ""]
        rows.append(row)
    what = _("另行装订目录") if apart else _("案卷目录")
    scope = str(volume.department) if volume.department else _("全部部门")
    content = render_table_pdf(
        title=f"{volume.archive_type.name} {what}",
        subtitle=_("%(y)d 年度 · %(scope)s") % {"y": volume.year, "scope": scope},
        meta=[
            (_("卷数"), str(len(rows))),
            (_("立卷"), f"{volume.closed_by or ''} {when(volume.closed_at)}".strip()),
            (_("规则"), volume.get_cross_year_display()),
            (_("打印"), printed_by(actor)),
        ],
        columns=columns,
        rows=rows,
        landscape=True,
        signatures=[_("立卷人"), _("档案管理员")],
        footer=f"{volume.archive_type.name} {volume.year} {what}",
    )
    audit_record(
        actor=actor,
        action="print",
        obj=volume,
        detail={"what": str(what), "year": volume.year, "rows": len(rows)},
    )
    return content
