"""What destruction leaves behind (issue 24; PIPL 第47条): the scans' bytes removed from
storage where no live document still holds them, the personal data of the records
overwritten (ciphertext and lookup hashes included), and a numbered tombstone. The
register keeps the titles with the person's name masked."""

from __future__ import annotations

import functools
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from dangan.archives.models import Dossier

ERASED = "[已销毁]"


def masked_title(dossier: Dossier) -> str:
    """The register keeps the file's title (案卷题名) for good, but not the person's full
    name in it: 张三 汽车销售档案 → 张* 汽车销售档案."""
    return mask_name(dossier.title, dossier)


def mask_name(title: str, dossier: Dossier) -> str:
    customer = dossier.customer
    if customer is not None and customer.name and customer.kind == "individual":
        name = customer.name
        title = title.replace(name, name[0] + "*" * (len(name) - 1))
    return title


def erase_dossier(dossier: Dossier) -> None:
    """Remove the scans' bytes (where no live document uses them) and the personal data
    of the dossier, its documents and — when nothing of theirs is kept — its customer.
    The rows stay as a tombstone with the archive number."""
    from dangan.documents.models import Document
    from dangan.search import services as search_services

    documents = Document.objects.filter(dossier=dossier)
    remove_scans(documents)
    documents.update(
        title=ERASED, text="", responsible="", remarks="", state=Document.State.DESTROYED
    )
    Dossier.objects.filter(pk=dossier.pk).update(title=ERASED, fields={})
    customer = dossier.customer
    if customer is not None:
        live = Dossier.objects.filter(customer=customer).exclude(pk=dossier.pk)
        live = live.exclude(status__in=[Dossier.Status.DESTROYED])
        if not live.exists():
            erase_customer(customer)
            search_services.index_after_commit(search_services.index_customer, customer.pk)
    search_services.index_after_commit(search_services.index_dossier, dossier.pk)
    for pk in documents.values_list("pk", flat=True):
        search_services.index_after_commit(search_services.index_document, pk)


def remove_scans(documents: Any) -> None:
    """Detach the documents' scans; a scan's bytes leave storage (after the commit) when no
    other live document holds the same bytes."""
    from dangan.documents.models import Attachment, Blob

    blobs = set(Attachment.objects.filter(document__in=documents).values_list("blob_id", flat=True))
    Attachment.objects.filter(document__in=documents).delete()
    for sha in blobs:
        if Attachment.objects.filter(blob_id=sha).exists():
            continue  # another live document holds the same bytes
        blob = Blob.objects.get(pk=sha)
        name = blob.storage_name
        blob.delete()
        transaction.on_commit(functools.partial(default_storage.delete, name))


def erase_customer(customer: Any) -> None:
    """Overwrite a customer's personal data (ciphertext and lookup hashes included): what
    remains is a numbered tombstone (PIPL 第47条)."""
    from dangan.customers.models import Customer, RelatedPerson

    Customer.objects.filter(pk=customer.pk).update(
        name=ERASED,
        birth_date=None,
        gender="",
        id_number_encrypted="",
        id_number_lookup="",
        id_last4_lookup="",
        id_last5_lookup="",
        id_last6_lookup="",
        mobile="",
        phone="",
        address="",
        email="",
        uscc="",
        legal_representative="",
        remarks="",
    )
    RelatedPerson.objects.filter(customer=customer).delete()
