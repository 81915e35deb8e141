"""The one policy layer: who may see which records and do what (STYLE convention 2).

Every page, API endpoint, download and count reads customer data through the
functions here. Lists are filtered in the database query. "Missing" and "not visible"
give the same NotFound, so an id guessed in a URL reveals nothing. Fail closed: an
unknown role scope or an anonymous user sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts.models import Role, User
from dangan.core.errors import Forbidden, NotFound
from dangan.core.identifiers import mask_mobile, mask_resident_id

if TYPE_CHECKING:
    from dangan.archives.models import Dossier
    from dangan.customers.models import Customer
    from dangan.documents.models import Attachment, Document

Actor = User | AnonymousUser
_M = TypeVar("_M", bound=Model)

_SCOPE_RANK: dict[str, int] = {Role.Scope.NONE: 0, Role.Scope.OWN: 1, Role.Scope.DEPARTMENT: 2, Role.Scope.ALL: 3}


def roles_of(actor: Actor) -> list[Role]:
    if not isinstance(actor, User) or not actor.is_active:
        return []
    cached: list[Role] | None = getattr(actor, "_policy_roles", None)
    if cached is None:
        cached = list(actor.roles.all())
        actor._policy_roles = cached  # type: ignore[attr-defined]
    return cached


def permissions_of(actor: Actor) -> frozenset[str]:
    return frozenset(code for role in roles_of(actor) for code in role.permissions)


def has_perm(actor: Actor, code: str) -> bool:
    return code in permissions_of(actor)


def require(actor: Actor, code: str) -> None:
    if not has_perm(actor, code):
        raise Forbidden(_("您没有此操作的权限:%(perm)s") % {"perm": perms.LABELS.get(code, code)})


def require_any(actor: Actor, *codes: str) -> None:
    if not permissions_of(actor) & set(codes):
        require(actor, codes[0])


def data_scope(actor: Actor) -> str:
    """The widest customer-data scope among the actor's roles."""
    best = Role.Scope.NONE
    for role in roles_of(actor):
        if _SCOPE_RANK.get(role.scope, 0) > _SCOPE_RANK[best]:
            best = Role.Scope(role.scope)
    return best


def customer_filter(actor: Actor, prefix: str = "") -> Q:
    """A Q restricting customers (or rows reached through `prefix`) to the actor's scope."""
    if not has_perm(actor, perms.CUSTOMER_VIEW):
        return Q(pk__in=[])
    scope = data_scope(actor)
    if not isinstance(actor, User):  # unreachable: has_perm is False for anonymous users
        return Q(pk__in=[])
    if scope == Role.Scope.ALL:
        return Q()
    if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
        return Q(**{f"{prefix}department_id": actor.department_id}) | Q(
            **{f"{prefix}owner_id": actor.pk}
        )
    if scope in (Role.Scope.DEPARTMENT, Role.Scope.OWN):
        return Q(**{f"{prefix}owner_id": actor.pk})
    return Q(pk__in=[])


def customers_for(actor: Actor) -> QuerySet[Customer]:
    from dangan.customers.models import Customer

    return Customer.objects.filter(customer_filter(actor))


def access_customer(
    actor: Actor, customer_id: Any, *, action: str = perms.CUSTOMER_VIEW
) -> Customer:
    customer = _get_or_404(customers_for(actor), customer_id)
    require(actor, action)
    return customer


def dossiers_for(actor: Actor) -> QuerySet[Dossier]:
    from dangan.archives.models import Dossier

    if not has_perm(actor, perms.DOSSIER_VIEW):
        return Dossier.objects.none()
    return Dossier.objects.filter(customer_filter(actor, "customer__"))


def access_dossier(actor: Actor, dossier_id: Any, *, action: str = perms.DOSSIER_VIEW) -> Dossier:
    dossier = _get_or_404(
        dossiers_for(actor).select_related("customer", "archive_type"), dossier_id
    )
    require(actor, action)
    return dossier


def documents_for(actor: Actor) -> QuerySet[Document]:
    from dangan.documents.models import Document

    if not has_perm(actor, perms.DOCUMENT_VIEW):
        return Document.objects.none()
    return Document.objects.filter(customer_filter(actor, "dossier__customer__"))


def access_document(
    actor: Actor, document_id: Any, *, action: str = perms.DOCUMENT_VIEW
) -> Document:
    document = _get_or_404(documents_for(actor).select_related("dossier"), document_id)
    require(actor, action)
    return document


def access_attachment(actor: Actor, attachment_id: Any) -> Attachment:
    """A scan to download: visible through its document, and downloading is a permission."""
    from dangan.documents.models import Attachment

    visible = Attachment.objects.filter(document__in=documents_for(actor)).select_related(
        "blob", "document__dossier"
    )
    attachment = _get_or_404(visible, attachment_id)
    require(actor, perms.FILE_DOWNLOAD)
    return attachment


def assignable_owners(actor: Actor) -> QuerySet[User]:
    """Whom the actor may name as a customer's account manager."""
    if not isinstance(actor, User):
        return User.objects.none()
    scope = data_scope(actor)
    if scope == Role.Scope.ALL:
        return User.objects.filter(is_active=True)
    if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
        return User.objects.filter(is_active=True, department_id=actor.department_id)
    return User.objects.filter(pk=actor.pk)


def can_see_identity(actor: Actor) -> bool:
    return has_perm(actor, perms.CUSTOMER_VIEW_IDENTITY)


def shown_id_number(actor: Actor, customer: Customer) -> str:
    value = customer.id_number
    if not value or can_see_identity(actor):
        return value
    if customer.id_type == customer.IdType.RESIDENT_ID and len(value) == 18:
        return mask_resident_id(value)
    return value[:2] + "*" * max(len(value) - 4, 0) + value[-2:]


def shown_mobile(actor: Actor, value: str) -> str:
    if not value or can_see_identity(actor):
        return value
    return mask_mobile(value)


def _get_or_404(queryset: QuerySet[_M], pk: Any) -> _M:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    obj = queryset.filter(pk=key).first()
    if obj is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return obj
