"""One bag per thing (一车一档, 一户一档; issue 23 §5): the business keys an archive type
declares (`unique_keys`: VIN, building + entrance + unit, member number) are claimed by
one dossier at a time, in a table with a unique constraint (DossierKey), so two creates
racing for the same key cannot both pass. A key stays taken in every state but
destroyed: destroying a dossier releases its keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dangan.archives.models import ArchiveType, Dossier, DossierKey
from dangan.core.errors import ApplicationError

VALUE_MAX = 200


class DuplicateKey(ApplicationError):
    """A second dossier for a thing that has one (409); the answer names the dossier
    that holds the key."""

    status_code = 409

    def __init__(self, message: Any, *, field: str, existing: Dossier) -> None:
        super().__init__(message, field=field)
        self.existing = existing

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "existing": {
                "id": self.existing.pk,
                "archive_number": self.existing.archive_number,
            },
        }


def validate_specs(specs: Any, field_keys: Iterable[str]) -> list[list[str]]:
    """A type's `unique_keys` in their stored shape (a list of keys, each a list of its
    fields' keys; a lone field may be written as a string), or ValueError naming the fault."""
    known = set(field_keys)
    if not isinstance(specs, list):
        raise ValueError("unique_keys must be a list")
    cleaned = []
    for spec in specs:
        parts = [spec] if isinstance(spec, str) else spec
        if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
            raise ValueError("each unique key is a field key or a list of field keys")
        unknown = [p for p in parts if p not in known]
        if unknown:
            raise ValueError(f"unique key on unknown fields {unknown}")
        cleaned.append(list(parts))
    return cleaned


def _normal(value: Any) -> str:
    return " ".join(str(value).split()).upper()


def key_values(archive_type: ArchiveType, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) of each key the fields fill; a key none of whose fields is filled
    claims nothing (a member without a member number)."""
    found = []
    for spec in archive_type.unique_keys or []:
        values = [_normal("" if fields.get(part) is None else fields.get(part)) for part in spec]
        if any(values):
            found.append(("+".join(spec), "|".join(values)[:VALUE_MAX]))
    return found


def _label(archive_type: ArchiveType, name: str) -> str:
    labels = {spec["key"]: str(spec.get("label") or spec["key"]) for spec in archive_type.fields}
    return "、".join(labels.get(part, part) for part in name.split("+"))


def _duplicate(archive_type: ArchiveType, name: str, value: str, holder: Dossier) -> DuplicateKey:
    shown = " ".join(part for part in value.split("|") if part)
    return DuplicateKey(
        _("%(label)s“%(value)s”已有档案 %(number)s,同一对象只建一卷档案(在该卷内分组归档)")
        % {"label": _label(archive_type, name), "value": shown, "number": holder.archive_number},
        field=f"fields.{name.split('+')[0]}",
        existing=holder,
    )


def check_free(
    archive_type: ArchiveType,
    fields: dict[str, Any],
    *,
    exclude: int | None = None,
    kept: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Raise DuplicateKey if another dossier of the type holds one of these keys. Keys in
    `kept` (the ones a dossier being changed had already, see claim) are not checked."""
    for name, value in key_values(archive_type, fields):
        if (name, value) in kept:
            continue
        taken = DossierKey.objects.filter(archive_type=archive_type, name=name, value=value)
        if exclude is not None:
            taken = taken.exclude(dossier_id=exclude)
        holder = taken.select_related("dossier").first()
        if holder is not None:
            raise _duplicate(archive_type, name, value, holder.dossier)


def repeated_in_batch(archive_type: ArchiveType, name: str, value: str) -> ApplicationError:
    """The refusal of a second row for the same key within one import or bulk request."""
    shown = " ".join(part for part in value.split("|") if part)
    return ApplicationError(
        _("%(label)s“%(value)s”在本批中重复,同一对象只建一卷档案")
        % {"label": _label(archive_type, name), "value": shown},
        field=f"fields.{name.split('+')[0]}",
    )


def claim_in(seen: set[tuple[int, str, str]], archive_type: ArchiveType, fields: Any) -> None:
    """Note the keys of a row about to be filed in bulk in `seen` (the batch's keys so
    far); a key already there is refused (repeated_in_batch)."""
    found = key_values(archive_type, fields or {})
    for name, value in found:
        if (archive_type.pk, name, value) in seen:
            raise repeated_in_batch(archive_type, name, value)
    seen.update((archive_type.pk, name, value) for name, value in found)


def claim(dossier: Dossier, *, kept: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Take the dossier's keys (after it is saved; in its transaction). The database's
    unique constraint decides between racing creates: the later one waits for the
    earlier to commit, then fails here with the holder named.

    `kept`: the keys the dossier had before a change. One of them that an older dossier
    holds stays with that one and is no refusal: a thing filed twice before its type
    declared the key (claim_type) keeps both dossiers open to their other changes."""
    archive_type = dossier.archive_type
    wanted = key_values(archive_type, dossier.fields or {})
    held = {(n, v): pk for pk, n, v in dossier.keys.values_list("pk", "name", "value")}
    stale = [pk for pair, pk in held.items() if pair not in wanted]
    if stale:  # the fields changed: the old values are free again
        DossierKey.objects.filter(pk__in=stale).delete()
    for name, value in wanted:
        if (name, value) in held:
            continue
        try:
            with transaction.atomic():
                DossierKey.objects.create(
                    archive_type=archive_type, name=name, value=value, dossier=dossier
                )
        except IntegrityError:
            holder = (
                DossierKey.objects.filter(archive_type=archive_type, name=name, value=value)
                .select_related("dossier")
                .first()
            )
            if holder is None:  # released meanwhile: a retry will find it free
                raise
            if (name, value) in kept:
                continue
            raise _duplicate(archive_type, name, value, holder.dossier) from None


def claim_many(dossiers: list[Dossier]) -> None:
    """Keys of dossiers created in bulk, checked free beforehand (dossiers_create_bulk)."""
    DossierKey.objects.bulk_create(
        [
            DossierKey(archive_type=d.archive_type, name=name, value=value, dossier=d)
            for d in dossiers
            for name, value in key_values(d.archive_type, d.fields or {})
        ]
    )


def claim_type(archive_type: ArchiveType) -> list[Dossier]:
    """The keys of all the type's dossiers claimed anew, after its `unique_keys` changed
    (the rules page, `dangan templates load --update`; a database upgraded to #23 has
    dossiers filed before their type declared any key). Oldest first, in every state but
    destroyed; a dossier whose key an older one holds (the thing was filed twice) holds
    none and is returned, so the change can say which."""
    DossierKey.objects.filter(archive_type=archive_type).delete()
    if not archive_type.unique_keys:
        return []
    taken: set[tuple[str, str]] = set()
    rows: list[DossierKey] = []
    twice: list[Dossier] = []
    dossiers = (
        Dossier.objects.filter(archive_type=archive_type)
        .exclude(status=Dossier.Status.DESTROYED)
        .only("pk", "archive_number", "fields")
        .order_by("created_at", "pk")
    )
    for dossier in dossiers.iterator(chunk_size=2000):
        for name, value in key_values(archive_type, dossier.fields or {}):
            if (name, value) in taken:
                twice.append(dossier)
                continue
            taken.add((name, value))
            rows.append(
                DossierKey(archive_type=archive_type, name=name, value=value, dossier=dossier)
            )
    DossierKey.objects.bulk_create(rows, batch_size=1000)
    return twice


def release(dossier: Dossier) -> None:
    """Free the dossier's keys (it is destroyed: a new dossier may hold them)."""
    DossierKey.objects.filter(dossier=dossier).delete()
