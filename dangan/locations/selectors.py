"""Reading the archive room's tree: every place in natural order with what it holds."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from dangan.archives.models import Dossier, location_parts
from dangan.locations.models import Location
from dangan.locations.services import ABSENT, fields_of


@dataclass
class TreeRow:
    node: Location
    depth: int
    path: str
    held: int  # dossiers in it or inside it

    @property
    def full(self) -> bool:
        return self.node.capacity is not None and self.held >= self.node.capacity


def tree(root: Location | None = None) -> list[TreeRow]:
    """The places (under `root`, itself included) depth first, siblings in natural order,
    each with its path and the dossiers it holds (two queries)."""
    nodes = list(Location.objects.order_by("sort_key", "id"))
    children: dict[int | None, list[Location]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    direct = dict(
        Dossier.objects.filter(location_node__isnull=False)
        .exclude(status__in=ABSENT)
        .values_list("location_node")
        .annotate(n=Count("id"))
    )
    rows: list[TreeRow] = []

    def visit(node: Location, depth: int, place: dict[str, str]) -> int:
        here = {**place, Location.FIELD_OF_KIND[node.kind]: node.name}
        row = TreeRow(node, depth, " › ".join(location_parts(here)), 0)
        rows.append(row)
        total = int(direct.get(node.pk, 0))
        for child in children.get(node.pk, []):
            total += visit(child, depth + 1, here)
        row.held = total
        return total

    if root is None:
        for top in children.get(None, []):
            visit(top, 0, {})
    else:
        above = fields_of(root.parent) if root.parent_id else {}
        visit(root, 0, {k: v for k, v in above.items() if v})
    return rows
