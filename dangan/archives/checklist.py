"""What a dossier should hold, and what it holds: the checklist view (SPEC C1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import prefetch_related_objects

from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.documents.models import Document


def condition_holds(when: dict[str, Any], dossier: Dossier) -> bool:
    """True when every `path: value` of `when` matches the dossier (lists mean "one of";
    `{not: value}` or `{not: [a, b]}` means "anything else, blank included").

    Paths: `customer.<attribute>` or `fields.<custom field key>`. An unknown path is
    false, so a conditional item never silently becomes required by a typo. Values are
    typed as the field (the loader and the template editor check them): true/false for a
    yes/no field, one of the choices for a choice field.
    """
    for path, expected in when.items():
        root, _sep, name = path.partition(".")
        if root == "customer":
            actual = getattr(dossier.customer, name, None) if dossier.customer else None
        elif root == "fields":
            actual = (dossier.fields or {}).get(name)
        else:
            return False
        negated = isinstance(expected, dict)
        wanted = expected.get("not") if isinstance(expected, dict) else expected
        options = wanted if isinstance(wanted, list) else [wanted]
        if (actual in options) == negated:
            return False
    return True


def condition_errors(when: Any, field_specs: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a `when` for an archive type with these custom fields: unknown
    paths, and values the field can never hold (a condition that can never be met, or
    always is, makes an item silently optional or required)."""
    if not isinstance(when, dict):
        return ["not a mapping"]
    specs = {str(spec.get("key")): spec for spec in field_specs}
    errors = []
    for path, expected in when.items():
        root, _sep, name = str(path).partition(".")
        if isinstance(expected, dict):
            if set(expected) != {"not"}:
                errors.append(f"{path}: only {{not: value}} is allowed")
                continue
            expected = expected["not"]
        values = expected if isinstance(expected, list) else [expected]
        if (root, name) == ("customer", "kind"):
            allowed: list[Any] | None = ["individual", "organization"]
        elif root == "fields" and name in specs:
            spec = specs[name]
            kind = spec.get("type", "text")
            allowed = (
                [True, False]
                if kind == "bool"
                else list(spec.get("choices") or [])
                if kind == "choice"
                else None
            )
        else:
            errors.append(f"condition on unknown {path}")
            continue
        for value in values:
            if allowed is not None and (
                value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool)
            ):
                errors.append(f"{path}: {value!r} is not one of {allowed}")
    return errors


# A sign-off (an approval step bound to the piece, dangan.confirmations) still open, or
# refused; one passed over (a chain that ended at a refusal, or a step whose office signs
# later anyway) keeps a piece from counting only through the refusal beside it.
_OPEN_SIGN_OFF = ("waiting", "pending", "denied")


def _awaiting(doc: Document) -> bool:
    return any(s.status in _OPEN_SIGN_OFF for s in doc.sign_offs.all())


@dataclass
class ChecklistRow:
    """A row's answers are worked out once (cached_property): the dossier page's template
    asks each row for them several times, and each asked every document's sign-offs
    again. A row is made whole by dossier_checklist() and not changed after."""

    item: ChecklistItem
    applicable: bool
    documents: list[Document] = field(default_factory=list)

    @cached_property
    def present(self) -> bool:
        """A valid piece counts once every sign-off its item asks for is given."""
        return any(
            doc.state == Document.State.VALID and not _awaiting(doc) for doc in self.documents
        )

    @cached_property
    def awaiting(self) -> bool:
        """A valid piece is here but still waits for (or was refused) a sign-off."""
        return not self.present and any(
            doc.state == Document.State.VALID and _awaiting(doc) for doc in self.documents
        )

    @property
    def signing(self) -> bool:
        """Here and still in its signers' hands (waiting, none refused): not the filer's to
        answer for, though the dossier is not complete until it is signed off."""
        return self.awaiting and not any(
            s.status == "denied"
            for doc in self.documents
            if doc.state == Document.State.VALID
            for s in doc.sign_offs.all()
        )

    @property
    def disposed(self) -> bool:
        """Nothing valid here because its pieces were destroyed when their retention ran
        out (issue 24: a document kept for less time than its dossier): lawfully gone, not
        missing, so it is neither a 缺件 finding nor asked for again."""
        return (
            not self.present
            and not self.awaiting
            and any(doc.state == Document.State.DESTROYED for doc in self.documents)
        )

    @property
    def required(self) -> bool:
        return self.applicable and self.item.requirement != ChecklistItem.Requirement.OPTIONAL

    @property
    def missing(self) -> bool:
        return self.required and not self.present and not self.disposed


@dataclass
class Checklist:
    """Its counts are worked out once, as its rows' (ChecklistRow)."""

    rows: list[ChecklistRow]
    other_documents: list[Document]

    @cached_property
    def required_count(self) -> int:
        return sum(1 for row in self.rows if row.required)

    @cached_property
    def present_required_count(self) -> int:
        return sum(1 for row in self.rows if row.required and (row.present or row.disposed))

    @cached_property
    def missing_rows(self) -> list[ChecklistRow]:
        return [row for row in self.rows if row.missing]

    @property
    def complete(self) -> bool:
        return not self.missing_rows

    @property
    def handed_in(self) -> bool:
        """Every required piece is filed, signed off or still waiting for its sign-off:
        what the submission deadline asks of the filer (the signers' time is not theirs)."""
        return all(row.present or row.awaiting or row.disposed for row in self.rows if row.required)


def prime_checklists(dossiers: list[Dossier]) -> list[Dossier]:
    """Ready a list of dossiers for dossier_checklist() in two queries for the whole list
    (their types' items, their documents) instead of two per dossier. Lists of deadlines
    read a checklist per dossier (#29: the home page's read two per dossier of the last
    two months; Django's prefetch_related cost as much again building a queryset per
    dossier)."""
    type_ids = {d.archive_type_id for d in dossiers}
    # Each type read once and shared: joined to every dossier's row, its JSON (fields,
    # deadline rule, numbering, …) was decoded again for each dossier.
    types = ArchiveType.objects.in_bulk(type_ids)
    for dossier in dossiers:
        dossier.archive_type = types[dossier.archive_type_id]
    items: dict[int, list[ChecklistItem]] = {pk: [] for pk in type_ids}
    for item in ChecklistItem.objects.filter(archive_type_id__in=type_ids):
        items[item.archive_type_id].append(item)
    documents: dict[int, list[Document]] = {d.pk: [] for d in dossiers}
    ids = list(documents)
    for start in range(0, len(ids), 500):
        found = (
            Document.objects.filter(dossier_id__in=ids[start : start + 500])
            .select_related("part")
            .defer("text")
        )
        page = list(found.order_by("dossier_id", "piece_number"))
        prefetch_related_objects(page, "sign_offs")  # the sign-offs a row waits for
        for doc in page:
            documents[doc.dossier_id].append(doc)
    for dossier in dossiers:
        dossier._checklist_parts = (  # type: ignore[attr-defined]
            items[dossier.archive_type_id],
            documents[dossier.pk],
        )
    return dossiers


def dossier_checklist(dossier: Dossier) -> Checklist:
    """Two queries whatever the dossier's size: its type's items and its documents (none
    after prime_checklists())."""
    primed = getattr(dossier, "_checklist_parts", None)
    if primed is not None:
        items, documents = primed
    else:
        items = list(dossier.archive_type.items.all())
        documents = list(
            dossier.documents.select_related("part")
            .prefetch_related("attachments", "sign_offs")
            .order_by("piece_number")
        )
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
