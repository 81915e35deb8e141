"""The "存放位置" card on a dossier's page: where the bag is (in the room's tree, or as
text where the place is not set up yet), a picker of the room's places, the text form for
the others, and where it has been."""

from __future__ import annotations

from typing import Any

from django import template

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import Dossier
from dangan.locations import selectors
from dangan.locations.models import Move

register = template.Library()


@register.inclusion_tag("locations/_dossier_card.html", takes_context=True)
def location_card(context: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    """The caller has been allowed to see the dossier; the picker is for the room's staff."""
    request = context.get("request")
    user = getattr(request, "user", None)
    can_place = user is not None and policy.has_perm(user, perms.DOSSIER_LOCATE)
    rows = selectors.tree() if can_place else []
    # The dossier's place is one of the tree's rows when the tree was read.
    in_tree = {row.node.pk: row.node for row in rows}
    node = (
        in_tree.get(dossier.location_node_id, dossier.location_node)
        if dossier.location_node_id is not None
        else None
    )
    return {
        "dossier": dossier,
        "node": node,
        "choices": [(row.node.pk, row.path, row.full) for row in rows],
        "moves": list(
            Move.objects.filter(dossier=dossier)
            .select_related("moved_by")
            .order_by("-moved_at")[:10]
        ),
        "can_place": can_place,
        "location_form": context.get("location_form"),
        "csrf_token": context.get("csrf_token"),
    }
