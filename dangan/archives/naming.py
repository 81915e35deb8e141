"""The customer's current name on the dossiers (issue 23 §7): a dossier's default title is
made from the customer's name (“张三 汽车销售档案”); a rename carries over to the titles
that begin with the old name, so no page, list, slip or search shows the stale one."""

from __future__ import annotations

from dangan.archives.models import Dossier
from dangan.customers.models import Customer


def titles_follow_rename(*, customer: Customer, old_name: str) -> list[int]:
    """Rewrite the titles of the customer's dossiers that begin with `old_name` (as a word:
    “张三 …”, not “张三丰 …”). Call inside the rename's transaction; returns the dossiers
    changed (the caller reindexes them with the customer)."""
    if not old_name or old_name == customer.name:
        return []
    changed = []
    dossiers = Dossier.objects.select_for_update().filter(
        customer=customer, title__startswith=old_name
    )
    for dossier in dossiers.order_by("pk"):
        rest = dossier.title[len(old_name) :]
        if rest and not rest.startswith(" "):
            continue
        dossier.title = (customer.name + rest)[:200]
        dossier.save(update_fields=["title", "updated_at"])
        changed.append(dossier.pk)
    return changed
