"""The archive room's places and the dossiers in them: setting the tree up, placing a
dossier (with its capacity checked and the move kept), and reading a place's contents.

A dossier's place is kept twice on purpose: as the node of the tree (Dossier.location_node)
and as the five texts the API has always read and written ({room, cabinet, shelf, box,
position}). Placing on a node fills the texts from the node's chain; texts are matched to
the deepest node they name, and parts beyond the tree stay as text."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.core.errors import ApplicationError, NotFound
from dangan.locations.models import Location, Move
from dangan.locations.natural import natural_key
from dangan.search import services as search_services

KINDS = [kind.value for kind in Location.Kind]  # outermost first
RANK = {kind: index for index, kind in enumerate(KINDS)}
ABSENT = (Dossier.Status.DESTROYED,)  # no longer in a cabinet: not counted against capacity


def chain(node: Location) -> list[Location]:
    """The node's ancestors and the node, outermost first."""
    nodes = [node]
    while nodes[0].parent_id is not None:
        nodes.insert(0, Location.objects.get(pk=nodes[0].parent_id))
    return nodes


def fields_of(node: Location | None) -> dict[str, str]:
    """The dossier's five location texts for a place on `node`."""
    values = dict.fromkeys(Dossier.LOCATION_FIELDS, "")
    for part in chain(node) if node is not None else []:
        values[Location.FIELD_OF_KIND[part.kind]] = part.name
    return values


def path_text(node: Location | None) -> str:
    """The place as a clerk reads it (档案室A › 03柜 › 2层), as on a dossier's page."""
    if node is None:
        return ""
    return " › ".join(Dossier(**fields_of(node)).location_parts)


def dossier_place_text(dossier: Dossier) -> str:
    return " › ".join(dossier.location_parts)


def subtree_ids(node: Location) -> list[int]:
    """The node's id and those of every place inside it (one query per level)."""
    ids, level = [node.pk], [node.pk]
    while level:
        level = list(Location.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        ids += level
    return ids


def held(node: Location, *, excluding: int | None = None) -> int:
    """Dossiers kept in the node or inside it (destroyed ones are not)."""
    found = Dossier.objects.filter(location_node_id__in=subtree_ids(node)).exclude(
        status__in=ABSENT
    )
    if excluding is not None:
        found = found.exclude(pk=excluding)
    return found.count()


def check_capacity(node: Location, *, dossier_id: int | None = None) -> None:
    """Refuse to put one more dossier on `node` when it or a place around it is full."""
    for part in chain(node):
        if part.capacity is None:
            continue
        count = held(part, excluding=dossier_id)
        if count + 1 > part.capacity:
            raise ApplicationError(
                _("%(place)s已满:容量 %(cap)s 份,已存放 %(n)s 份。请选择其他位置。")
                % {"place": path_text(part), "cap": part.capacity, "n": count},
                field="location",
            )


def resolve(place: dict[str, str]) -> Location | None:
    """The deepest node the texts name, walking down from the room; None when the room is
    not one of the tree's."""
    node: Location | None = None
    for field in Dossier.LOCATION_FIELDS:
        value = place.get(field, "")
        if not value:
            continue
        kind = next(k for k, f in Location.FIELD_OF_KIND.items() if f == field)
        found = Location.objects.filter(parent=node, kind=kind, name=value).first()
        if found is None:
            break
        node = found
    return node


def placement_for_new(
    node_id: Any, place: dict[str, str] | None = None
) -> tuple[dict[str, str], Location | None]:
    """A new dossier's place (dossier_create): on the node `node_id`, or the node the
    texts `place` name; its capacity checked."""
    node = _node(node_id) if node_id not in (None, "") else resolve(place or {})
    if node is not None:
        check_capacity(node)
    return (fields_of(node) if place is None else place), node


def _node(value: Any) -> Location:
    text = str(value).strip()
    found = Location.objects.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        raise ApplicationError(_("存放位置不存在"), field="location")
    return found


@refusals_audited("locate", "dossier")
@transaction.atomic
def dossier_relocate(
    *, actor: User, dossier: Dossier, location: dict[str, Any], reason: str = ""
) -> Dossier:
    """Put the dossier's paper somewhere: `location` is {"node": id} (a place of the tree)
    or the five texts {room, cabinet, shelf, box, position}. A full place is refused;
    the move is kept (Move) and on the record."""
    policy.access_dossier(actor, dossier.pk, action=perms.DOSSIER_LOCATE)
    return relocate_checked(actor=actor, dossier=dossier, location=location, reason=reason)


def target_place(location: dict[str, Any]) -> tuple[dict[str, str], Location | None]:
    """Where `location` ({"node": id} or the five texts) puts a dossier: its five texts
    (as Dossier.LOCATION_FIELDS) and the place of the tree they name, if any."""
    from dangan.archives.services import _clean_location

    if "node" in location and location["node"] not in (None, ""):
        node: Location | None = _node(location["node"])
        return fields_of(node), node
    place = _clean_location({k: v for k, v in location.items() if k != "node"})
    return place, resolve(place)


def relocate_checked(
    *, actor: User, dossier: Dossier, location: dict[str, Any], reason: str = ""
) -> Dossier:
    """dossier_relocate once the caller has checked the actor may locate the dossier (its
    own service: archives.services.dossier_update, in the same transaction)."""
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    place, node = target_place(location)
    before = {name: getattr(dossier, name) for name in Dossier.LOCATION_FIELDS}
    old_node = dossier.location_node
    if before == place and old_node == node:
        return dossier
    if node is not None and node != old_node:
        check_capacity(node, dossier_id=dossier.pk)
    from_text = dossier_place_text(dossier)
    for name, value in place.items():
        setattr(dossier, name, value)
    dossier.location_node = node
    dossier.save(update_fields=[*Dossier.LOCATION_FIELDS, "location_node", "updated_at"])
    Move.objects.create(
        dossier=dossier,
        from_text=from_text[:250],
        to_text=dossier_place_text(dossier)[:250],
        from_node=old_node,
        to_node=node,
        moved_by=actor,
        reason=reason[:200],
    )
    audit_record(
        actor=actor,
        action="locate",
        obj=dossier,
        detail={
            "before": before,
            "after": place,
            "node": [old_node.pk if old_node else None, node.pk if node else None],
            **({"reason": reason} if reason else {}),
        },
    )
    # The room (库房) is indexed with the title: "档案室二" finds the dossiers kept there.
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    return dossier


@transaction.atomic
def location_create(
    *,
    actor: User,
    kind: str,
    name: str,
    parent: Location | None = None,
    capacity: int | None = None,
    note: str = "",
) -> Location:
    """A new place: a room at the top, anything else inside a place of an outer kind
    (a box in a cabinet's shelf, or straight in a cabinet)."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    name = " ".join(str(name or "").split())
    if not name:
        raise ApplicationError(_("请填写名称"), field="name")
    if len(name) > 40:
        raise ApplicationError(_("名称过长(最多40字)"), field="name")
    if kind not in RANK:
        raise ApplicationError(_("位置类别无效"), field="kind")
    if parent is None and kind != Location.Kind.ROOM:
        raise ApplicationError(_("最外层须为库房"), field="parent")
    if parent is not None and RANK[kind] <= RANK[parent.kind]:
        raise ApplicationError(
            _("%(inner)s不能放在%(outer)s里")
            % {"inner": Location.Kind(kind).label, "outer": Location.Kind(parent.kind).label},
            field="kind",
        )
    if capacity is not None and capacity < 1:
        raise ApplicationError(_("容量须为正整数"), field="capacity")
    if Location.objects.filter(parent=parent, name=name).exists():
        raise ApplicationError(_("同一位置下已有“%(n)s”") % {"n": name}, field="name")
    node = Location.objects.create(
        parent=parent,
        kind=kind,
        name=name,
        capacity=capacity,
        note=str(note or "")[:200],
        sort_key=natural_key(name),
    )
    audit_record(
        actor=actor,
        action="location_create",
        obj=node,
        detail={"path": path_text(node), "capacity": capacity},
    )
    return node


@transaction.atomic
def location_change(
    *, actor: User, location: Location, capacity: int | None, note: str | None = None
) -> Location:
    """Change a place's capacity (not below what it holds) or note."""
    policy.require(actor, perms.DOSSIER_LOCATE)
    location = Location.objects.select_for_update().get(pk=location.pk)
    if capacity is not None:
        if capacity < 1:
            raise ApplicationError(_("容量须为正整数"), field="capacity")
        count = held(location)
        if capacity < count:
            raise ApplicationError(
                _("容量不能小于已存放的 %(n)s 份") % {"n": count}, field="capacity"
            )
    before = {"capacity": location.capacity, "note": location.note}
    location.capacity = capacity
    if note is not None:
        location.note = str(note)[:200]
    location.save(update_fields=["capacity", "note", "updated_at"])
    audit_record(
        actor=actor,
        action="location_change",
        obj=location,
        detail={"before": before, "after": {"capacity": capacity, "note": location.note}},
    )
    return location


def access_location(actor: User, pk: Any) -> Location:
    """A place, for anyone who may see dossiers (places are not customer data); one
    answer for missing and forbidden."""
    if not policy.has_perm(actor, perms.DOSSIER_VIEW):
        raise NotFound(_("存放位置不存在"))
    text = str(pk)
    found = Location.objects.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        raise NotFound(_("存放位置不存在"))
    return found


LINK_LEVELS = ("room", "cabinet", "shelf", "box")  # positions stay text: one bag each


@transaction.atomic
def tree_from_texts(*, actor: User | None) -> tuple[int, int]:
    """Set up the tree from the places dossiers already name in text (free-text locations
    from before the tree, imports): the rooms, cabinets, shelves and boxes they name are
    created where missing, and each such dossier is put on its deepest one (no capacity
    is set, so none is refused). Returns (places created, dossiers linked). `actor` None:
    the command line, as the system."""
    if actor is not None:
        policy.require(actor, perms.DOSSIER_LOCATE)
    nodes: dict[tuple[str, ...], Location] = {}
    created = 0
    linked: list[Dossier] = []
    waiting = (
        Dossier.objects.filter(location_node__isnull=True)
        .exclude(location_room="")
        .exclude(status__in=ABSENT)
        .only("id", *Dossier.LOCATION_FIELDS)
    )
    for dossier in waiting.iterator(2000):
        node: Location | None = None
        path: tuple[str, ...] = ()
        for kind in LINK_LEVELS:
            name = getattr(dossier, Location.FIELD_OF_KIND[kind])
            if not name:
                continue
            path = (*path, f"{kind}:{name}")
            found = nodes.get(path)
            if found is None:
                found = Location.objects.filter(parent=node, name=name).first()
                if found is None:
                    found = Location.objects.create(
                        parent=node, kind=kind, name=name, sort_key=natural_key(name)
                    )
                    created += 1
                nodes[path] = found
            node = found
        dossier.location_node = node
        linked.append(dossier)
    Dossier.objects.bulk_update(linked, ["location_node"], batch_size=2000)
    audit_record(
        actor=actor,
        action="location_link",
        object_type="location",
        object_repr="tree_from_texts",
        detail={"created": created, "linked": len(linked)},
    )
    return created, len(linked)
