"""What a dossier should hold, and what it holds: the checklist view (SPEC C1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dangan.archives.models import ChecklistItem, Dossier
from dangan.documents.models import Document


def condition_holds(when: dict[str, Any], dossier: Dossier) -> bool:
    """True when every `path: value` of `when` matches the dossier (lists mean "one of").

    Paths: `customer.<attribute>` or `fields.<custom field key>`. An unknown path is
    false, so a conditional item never silently becomes required by a typo.
    """
    for path, expected in when.items():
        root, _sep, name = path.partition(".")
        if root == "customer":
            actual = getattr(dossier.customer, name, None)
        elif root == "fields":
            actual = (dossier.fields or {}).get(name)
        else:
            return False
        options = expected if isinstance(expected, list) else [expected]
        if actual not in options:
            return False
    return True


@dataclass
class ChecklistRow:
    item: ChecklistItem
    applicable: bool
    documents: list[Document] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return any(doc.state == Document.State.VALID for doc in self.documents)

    @property
    def required(self) -> bool:
        return self.applicable and self.item.requirement != ChecklistItem.Requirement.OPTIONAL

    @property
    def missing(self) -> bool:
        return self.required and not self.present


@dataclass
class Checklist:
    rows: list[ChecklistRow]
    other_documents: list[Document]

    @property
    def required_count(self) -> int:
        return sum(1 for row in self.rows if row.required)

    @property
    def present_required_count(self) -> int:
        return sum(1 for row in self.rows if row.required and row.present)

    @property
    def missing_rows(self) -> list[ChecklistRow]:
        return [row for row in self.rows if row.missing]

    @property
    def complete(self) -> bool:
        return not self.missing_rows


def dossier_checklist(dossier: Dossier) -> Checklist:
    """Two queries whatever the dossier's size: its type's items and its documents."""
    items = list(dossier.archive_type.items.all())
    documents = list(dossier.documents.prefetch_related("attachments").order_by("piece_number"))
    by_item: dict[int, list[Document]] = {}
    others: list[Document] = []
    for doc in documents:
        if doc.checklist_item_id is None:
            others.append(doc)
        else:
            by_item.setdefault(doc.checklist_item_id, []).append(doc)
    rows = [
        ChecklistRow(
            item=item,
            applicable=item.requirement != ChecklistItem.Requirement.CONDITIONAL
            or condition_holds(item.when or {}, dossier),
            documents=by_item.get(item.pk, []),
        )
        for item in items
    ]
    return Checklist(rows=rows, other_documents=others)
