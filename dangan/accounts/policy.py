"""The one policy layer: who may see which records and do what (STYLE convention 2).

Every page, API endpoint, download and count reads customer data through the
functions here. Lists are filtered in the database query. "Missing" and "not visible"
give the same NotFound, so an id guessed in a URL reveals nothing. Fail closed: an
unknown role scope or an anonymous user sees nothing.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts.models import Grant, Role, User
from dangan.core.compiled import Compiled
from dangan.core.errors import Forbidden, NotFound
from dangan.core.identifiers import mask_generic, mask_mobile, mask_resident_id

if TYPE_CHECKING:
    from dangan.archives.models import Dossier
    from dangan.customers.models import Customer
    from dangan.documents.models import Attachment, Document

Actor = User | AnonymousUser
_M = TypeVar("_M", bound=Model)

_SCOPE_RANK: dict[str, int] = {
    Role.Scope.NONE: 0,
    Role.Scope.OWN: 1,
    Role.Scope.DEPARTMENT: 2,
    Role.Scope.ALL: 3,
}


# actor.roles.all(), by a statement compiled once (every request asks it first).
_ROLES = Compiled(lambda pk: Role.objects.filter(users__id=pk).order_by("id"))


def roles_of(actor: Actor) -> list[Role]:
    if not isinstance(actor, User) or not actor.is_active:
        return []
    cached: list[Role] | None = getattr(actor, "_policy_roles", None)
    if cached is None:
        prefetched = getattr(actor, "_prefetched_objects_cache", {}).get("roles")
        cached = list(prefetched) if prefetched is not None else _ROLES.fetch(actor.pk)
        actor._policy_roles = cached  # type: ignore[attr-defined]
    return cached


def holds_office(actor: Actor, role_code: str, department_id: int | None) -> bool:
    """Whether the actor may sign a step of an approval chain that asks for this role,
    in this department (None: any department's holder of the role). Both chains ask it:
    borrowing's (circulation) and the intake statement's (档案袋情况说明)."""
    if role_code not in {role.code for role in roles_of(actor)}:
        return False
    return department_id is None or department_id == getattr(actor, "department_id", None)


def office_holders(role_code: str, department_id: int | None) -> QuerySet[User]:
    """The active users of whom holds_office(user, role_code, department_id) is true:
    those to ask for a signature."""
    users = User.objects.filter(is_active=True, roles__code=role_code)
    if department_id is not None:
        users = users.filter(department_id=department_id)
    return users.distinct()


def permissions_of(actor: Actor) -> frozenset[str]:
    roles = roles_of(actor)
    # Kept beside the roles they come from: a fresh list of roles (see roles_of, and
    # where services drop the cache) means a fresh set.
    cached: tuple[list[Role], frozenset[str]] | None = getattr(actor, "_policy_permissions", None)
    if cached is not None and cached[0] is roles:
        return cached[1]
    granted = frozenset(code for role in roles for code in role.permissions)
    if isinstance(actor, User) and roles:
        actor._policy_permissions = (roles, granted)  # type: ignore[attr-defined]
    return granted


def has_perm(actor: Actor, code: str) -> bool:
    return code in permissions_of(actor)


def _forbidden(code: str) -> Forbidden:
    return Forbidden(_("您没有此操作的权限:%(perm)s") % {"perm": perms.LABELS.get(code, code)})


def require(actor: Actor, code: str) -> None:
    if not has_perm(actor, code):
        raise _forbidden(code)


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


def sees_all_customers(actor: Actor) -> bool:
    """Whether the actor may see every customer (scope "all"): customer_filter is then
    empty, and ids found in the customer table or the search index need no check (the
    search's counts)."""
    return (
        isinstance(actor, User)
        and has_perm(actor, perms.CUSTOMER_VIEW)
        and data_scope(actor) == Role.Scope.ALL
    )


def customer_scope(actor: Actor) -> tuple[list[int], list[int]] | None:
    """The customers the actor may see, as the account managers and the departments
    whose customers they are (both empty: none); None for every customer. What
    customer_filter states as a condition, for the search index (index.Scope)."""
    if sees_all_customers(actor):
        return None
    if not has_perm(actor, perms.CUSTOMER_VIEW) or not isinstance(actor, User):
        return [], []
    scope = data_scope(actor)
    if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
        return [actor.pk], [actor.department_id]
    if scope in (Role.Scope.DEPARTMENT, Role.Scope.OWN):
        return [actor.pk], []
    return [], []


def customer_filter(actor: Actor, prefix: str = "") -> Q:
    """A Q restricting customers (or rows reached through `prefix`) to the actor's scope."""
    scope = customer_scope(actor)
    if scope is None:
        return Q()
    owners, departments = scope
    parts = [Q(**{f"{prefix}department_id": pk}) for pk in departments]
    parts += [Q(**{f"{prefix}owner_id": pk}) for pk in owners]
    return functools.reduce(operator.or_, parts) if parts else Q(pk__in=[])


def customers_for(actor: Actor) -> QuerySet[Customer]:
    from dangan.customers.models import Customer

    return Customer.objects.filter(customer_filter(actor))


def sees_customer(actor: Actor, customer: Customer) -> bool:
    """Whether customers_for(actor) holds this customer, read off the row with no query
    (customer_filter's condition in Python): for asking it of many users at once, whose
    roles are prefetched (roles_of uses them)."""
    scope = customer_scope(actor)
    if scope is None:
        return True
    owners, departments = scope
    return customer.owner_id in owners or customer.department_id in departments


def access_customer(
    actor: Actor, customer_id: Any, *, action: str = perms.CUSTOMER_VIEW
) -> Customer:
    customer = _get_or_404(customers_for(actor), customer_id)
    require(actor, action)
    return customer


# What each kind of grant allows on its object and what lies inside it.
GRANT_ALLOWS: dict[str, frozenset[str]] = {
    Grant.Action.VIEW: frozenset({perms.DOSSIER_VIEW, perms.DOCUMENT_VIEW}),
    Grant.Action.COPY: frozenset({perms.DOSSIER_VIEW, perms.DOCUMENT_VIEW, perms.FILE_DOWNLOAD}),
}


def active_grants(actor: Actor, object_type: str, code: str) -> QuerySet[Grant]:
    """Grants in force now for `actor` that allow `code` on objects of `object_type`."""
    actions = [action for action, allowed in GRANT_ALLOWS.items() if code in allowed]
    return _grants_in_force(actor, object_type).filter(action__in=actions)


def granted_dossiers(actor: Actor) -> dict[str, frozenset[int]]:
    """The dossiers that grants in force open to the actor, by each code they allow
    (active_grants of every code at once, in one query: a search wants them for
    dossiers and for documents)."""
    by_code: dict[str, set[int]] = {}
    for object_id, action in _grants_in_force(actor, "dossier").values_list("object_id", "action"):
        for code in GRANT_ALLOWS.get(action, ()):
            by_code.setdefault(code, set()).add(object_id)
    return {code: frozenset(ids) for code, ids in by_code.items()}


def _grants_in_force(actor: Actor, object_type: str) -> QuerySet[Grant]:
    if not isinstance(actor, User) or not actor.is_active:
        return Grant.objects.none()
    now = timezone.now()
    return Grant.objects.filter(
        user=actor,
        object_type=object_type,
        starts_at__lte=now,
        expires_at__gt=now,
        revoked_at__isnull=True,
    )


def cleared_levels(actor: Actor) -> list[str]:
    """Confidentiality levels the actor's roles may read (the highest clearance wins)."""
    return list(Role.Clearance.values)[: _clearance_rank(actor) + 1]


def levels_above_clearance(actor: Actor) -> list[str]:
    """The confidentiality levels cleared_levels leaves out."""
    return list(Role.Clearance.values)[_clearance_rank(actor) + 1 :]


def _clearance_rank(actor: Actor) -> int:
    order = list(Role.Clearance.values)
    if has_perm(actor, perms.CIRCULATION_LEND):
        # The archive room keeps every bag and lends it: no 密级 hides one from those who
        # hold it (issue 27 §4), whatever their roles' reading clearance says.
        return len(order) - 1
    return max((order.index(role.clearance) for role in roles_of(actor)), default=0)


def dossiers_for(
    actor: Actor, *, action: str = perms.DOSSIER_VIEW, granted: Collection[int] | None = None
) -> QuerySet[Dossier]:
    """Dossiers the actor may see (or act on with `action`): by role scope and clearance,
    or by a grant in force. `granted`: the dossiers the grants open for `action`, where
    the caller has read them already (granted_dossiers), matched as a list instead of a
    subquery of the grants (building that subquery cost a search more than reading the
    grants once)."""
    from dangan.archives.models import Dossier

    by_grant = _granted(actor, action) if granted is None else Q(pk__in=sorted(granted))
    return Dossier.objects.filter(_by_role(actor, action) | by_grant)


def dossiers_of_listed_customers(actor: Actor, prefix: str) -> Q:
    """A Q on the dossiers reached through `prefix` ("dossiers__") from customers already
    in the actor's scope (customers_for): those dossiers_for(actor) holds. Within that
    scope the customer condition is met, which leaves clearance or a grant; a condition on
    each joined dossier, where dossiers_for's IN (subquery) made SQLite list every visible
    dossier (a million for the archivist) to count one customer's."""
    code = perms.DOSSIER_VIEW
    return _by_role(actor, code, prefix, in_scope=True) | _granted(actor, code, prefix)


def customers_hidden(actor: Actor, ids: Any) -> set[int] | None:
    """Those of `ids` that customers_for(actor) leaves out, where that is known without
    reading them: none for an actor who sees every customer. None for any other actor:
    customers_for must be asked. (The search's check of its candidates; see
    dossiers_hidden.)"""
    return set() if sees_all_customers(actor) else None


def dossiers_hidden(actor: Actor, ids: Any, *, action: str = perms.DOSSIER_VIEW) -> set[int] | None:
    """For an actor whose roles reach every customer, those of `ids` (a list, or a
    subquery of ids) that dossiers_for(actor, action=action) leaves out: the dossiers
    above the actor's clearance, but for those granted. They are found through the index
    on (confidentiality, id), without reading the dossiers (the search checks hundreds of
    candidates this way). None for any other actor: what they see depends on each
    dossier's customer, and dossiers_for must be asked."""

    if not (sees_all_customers(actor) and _reaches_dossiers(actor, action)):
        return None
    above = levels_above_clearance(actor)
    if not above:
        return set()
    hidden = _dossiers_at(above, ids)
    if hidden:  # seldom: only then are the grants and the actor's own worth a query
        from dangan.archives.models import Dossier

        granted = active_grants(actor, "dossier", action).filter(object_id__in=hidden)
        hidden -= set(granted.values_list("object_id", flat=True))
        own = Dossier.objects.filter(pk__in=sorted(hidden), customer__owner_id=actor.pk)
        hidden -= set(own.values_list("pk", flat=True))
    return hidden


def sees_every_dossier_of_listed_customers(actor: Actor) -> bool:
    """Whether every dossier of a customer the actor may open is one they may see: their
    roles reach dossiers and no confidentiality level is above their clearance. Only then
    may a page say a customer has no dossier; anyone else is told only what they may see
    (whether a hidden dossier exists is itself not theirs to know)."""
    return _reaches_dossiers(actor, perms.DOSSIER_VIEW) and not levels_above_clearance(actor)


def _dossiers_at(levels: list[str], ids: Any) -> set[int]:
    """Those of `ids` (a list, or an id-list subquery: RawSQL) at one of the confidentiality
    `levels`, as one plain statement: building the queryset took longer than the index
    probe it sends (twice per search)."""
    from dangan.archives.models import Dossier

    if isinstance(ids, RawSQL):
        listed, params = ids.sql, list(ids.params)
    else:
        params = [int(pk) for pk in ids]
        if not params:
            return set()
        listed = ", ".join(["%s"] * len(params))
    table = connection.ops.quote_name(Dossier._meta.db_table)
    marks = ", ".join(["%s"] * len(levels))
    sql = f"SELECT id FROM {table} WHERE confidentiality IN ({marks}) AND id IN ({listed})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*levels, *params])
        return {row[0] for row in cursor.fetchall()}


def _reaches_dossiers(actor: Actor, code: str) -> bool:
    """Whether the actor's roles give dossiers at all, and `code` on them."""
    return has_perm(actor, perms.DOSSIER_VIEW) and has_perm(actor, code)


def _by_role(actor: Actor, code: str, prefix: str = "", *, in_scope: bool = False) -> Q:
    """Dossiers (reached through `prefix`) the actor's roles reach for `code`: scope, then
    clearance; only the clearance when their customers are known to be `in_scope`."""
    if not _reaches_dossiers(actor, code):
        return Q(**{f"{prefix}pk__in": []})
    cleared = Q(**{f"{prefix}confidentiality__in": cleared_levels(actor)})
    if levels_above_clearance(actor) and isinstance(actor, User):
        # A customer's account manager sees the customer's dossiers at any 密级: marking
        # one 绝密 must not hide it from its owner (issue 27 §4).
        cleared |= Q(**{f"{prefix}customer__owner_id": actor.pk})
    if in_scope:
        return cleared
    if customer_scope(actor) is None:  # every customer's, and every company file
        return cleared
    by_customer = customer_filter(actor, f"{prefix}customer__")
    return (by_customer | customerless_filter(actor, prefix)) & cleared


def customerless_filter(actor: Actor, prefix: str = "") -> Q:
    """Dossiers of customer-less types (company and department files: no customer) in the
    actor's scope, as customer_filter has it for customers: every one for scope "all", the
    department's for scope "department", those the actor filed for scope "own"."""
    scope = customer_scope(actor)
    no_customer = Q(**{f"{prefix}customer__isnull": True})
    if scope is None:
        return no_customer
    owners, departments = scope
    parts = [Q(**{f"{prefix}department_id": pk}) for pk in departments]
    parts += [Q(**{f"{prefix}created_by_id": pk}) for pk in owners]
    if not parts:
        return Q(**{f"{prefix}pk__in": []})
    return no_customer & functools.reduce(operator.or_, parts)


def file_departments(actor: Actor) -> list[int] | None:
    """The departments for which the actor may open company files (customer-less
    dossiers): None for any department (scope "all"), else the actor's own."""
    if customer_scope(actor) is None:
        return None
    if not isinstance(actor, User) or actor.department_id is None:
        return []
    return [actor.department_id]


def _granted(actor: Actor, code: str, prefix: str = "") -> Q:
    """Dossiers (reached through `prefix`) that a grant in force opens for `code`."""
    grants = active_grants(actor, "dossier", code)
    return Q(**{f"{prefix}pk__in": grants.values("object_id")})


def _may(actor: Actor, code: str, dossier_id: int) -> bool:
    """`code` on one dossier: through the roles where they reach it, else through a grant."""
    from dangan.archives.models import Dossier

    if Dossier.objects.filter(_by_role(actor, code), pk=dossier_id).exists():
        return True
    return active_grants(actor, "dossier", code).filter(object_id=dossier_id).exists()


def access_dossier(actor: Actor, dossier_id: Any, *, action: str = perms.DOSSIER_VIEW) -> Dossier:
    dossier = _get_or_404(
        dossiers_for(actor).select_related("customer", "archive_type"), dossier_id
    )
    # dossiers_for(actor) is _may(actor, DOSSIER_VIEW, …) as a filter: asking it again
    # for the same action cost every dossier page a statement.
    if action != perms.DOSSIER_VIEW and not _may(actor, action, dossier.pk):
        raise _forbidden(action)
    return dossier


def documents_for(actor: Actor) -> QuerySet[Document]:
    from dangan.documents.models import Document

    return Document.objects.filter(
        dossier__in=dossiers_for(actor, action=perms.DOCUMENT_VIEW).values("pk")
    )


def access_document(
    actor: Actor, document_id: Any, *, action: str = perms.DOCUMENT_VIEW
) -> Document:
    document = _get_or_404(documents_for(actor).select_related("dossier"), document_id)
    # documents_for is dossiers_for(action=DOCUMENT_VIEW): the same check as a filter.
    if action != perms.DOCUMENT_VIEW and not _may(actor, action, document.dossier_id):
        raise _forbidden(action)
    return document


def access_attachment(actor: Actor, attachment_id: Any) -> Attachment:
    """A scan to download: visible through its document, and downloading is a permission."""
    from dangan.documents.models import Attachment

    visible = Attachment.objects.filter(document__in=documents_for(actor)).select_related(
        "blob", "document__dossier"
    )
    attachment = _get_or_404(visible, attachment_id)
    if not _may(actor, perms.FILE_DOWNLOAD, attachment.document.dossier_id):
        raise _forbidden(perms.FILE_DOWNLOAD)
    return attachment


def service_records_for(actor: Actor, model: type[_M]) -> QuerySet[_M]:
    """Service records (tickets, contacts, transactions, stays) the actor may see: those
    of the customers in the actor's scope, for holders of service.view (SPEC C13)."""
    if not has_perm(actor, perms.SERVICE_VIEW) or not has_perm(actor, perms.CUSTOMER_VIEW):
        return model._default_manager.none()
    return model._default_manager.filter(customer_filter(actor, "customer__"))


def access_service_record(
    actor: Actor, model: type[_M], record_id: Any, *, action: str = perms.SERVICE_VIEW
) -> _M:
    record = _get_or_404(service_records_for(actor, model).select_related("customer"), record_id)
    require(actor, action)
    return record


# Who can hold what, by the permissions of their roles (roles are data): a person picker
# lists only those people, and the services refuse anyone else.
OWNER = "owner"  # a customer's account manager (a departure's successor too)
BORROWER = "borrower"  # a loan's borrower
RECEIVER = "receiver"  # the named receiver of a hand-over
_HOLDERS: dict[str, tuple[str, ...]] = {
    OWNER: (perms.CUSTOMER_CREATE,),
    BORROWER: (perms.DOSSIER_VIEW,),
    RECEIVER: (perms.HANDOVER_SEND, perms.HANDOVER_RECEIVE, perms.HANDOVER_MANAGE),
}


def people_who_may_hold(what: str) -> QuerySet[User]:
    """Active users with a role that may hold `what` (OWNER, BORROWER, RECEIVER): a role
    with any of its permissions and a data scope beyond none. Administrators, auditors and
    security officers hold no customers and borrow nothing."""
    codes = _HOLDERS[what]
    roles = [
        role.pk
        for role in Role.objects.exclude(scope=Role.Scope.NONE)
        if any(code in (role.permissions or []) for code in codes)
    ]
    return User.objects.filter(is_active=True, roles__in=roles).distinct().order_by("username")


def may_hold(user: User, what: str) -> bool:
    return people_who_may_hold(what).filter(pk=user.pk).exists()


def assignable_owners(actor: Actor) -> QuerySet[User]:
    """Whom the actor may name as a customer's account manager: people who may own
    customers, within the actor's scope."""
    if not isinstance(actor, User):
        return User.objects.none()
    owners = people_who_may_hold(OWNER)
    scope = data_scope(actor)
    if scope == Role.Scope.ALL:
        return owners
    if scope == Role.Scope.DEPARTMENT and actor.department_id is not None:
        return owners.filter(department_id=actor.department_id)
    return User.objects.filter(pk=actor.pk)


# Credit data (seed 001: it belongs to finance).
CREDIT_FIELDS = ("credit_rating", "credit_limit")


def may_edit_credit(actor: Actor) -> bool:
    """Only finance sets a customer's credit rating and limit."""
    return has_perm(actor, perms.CUSTOMER_CREDIT)


def may_see_credit(actor: Actor) -> bool:
    """Whoever sees a customer's full record sees its credit data; field-limited roles
    (business staff) do not."""
    allowed = customer_fields_for(actor)
    return allowed is None or all(name in allowed for name in CREDIT_FIELDS)


def can_see_identity(actor: Actor) -> bool:
    """Unmasked identity numbers and phones by default (rarely granted; see unmask)."""
    return has_perm(actor, perms.CUSTOMER_VIEW_IDENTITY)


def can_unmask(actor: Actor) -> bool:
    return can_see_identity(actor) or has_perm(actor, perms.CUSTOMER_UNMASK)


def mask_id_number(customer: Customer) -> str:
    value = customer.id_number
    if customer.id_type == customer.IdType.RESIDENT_ID and len(value) == 18:
        return mask_resident_id(value)
    return mask_generic(value, 2, 2)


def shown_id_number(actor: Actor, customer: Customer) -> str:
    value = customer.id_number
    if not value or can_see_identity(actor):
        return value
    return mask_id_number(customer)


def shown_mobile(actor: Actor, value: str) -> str:
    if not value or can_see_identity(actor):
        return value
    return mask_mobile(value)


# Seed 002 篇4 §4.1: business staff may learn a customer's organisation, the person's
# name and title, and nothing more.
LIMITED_CUSTOMER_FIELDS = frozenset({"id", "kind", "name", "related_persons"})


def customer_fields_for(actor: Actor) -> frozenset[str] | None:
    """None when the actor sees every customer field; else the only fields it may see.

    A user with any unlimited role is unlimited: roles add up, they never subtract."""
    data_roles = [role for role in roles_of(actor) if role.scope != Role.Scope.NONE]
    if data_roles and all(role.field_limited for role in data_roles):
        return LIMITED_CUSTOMER_FIELDS
    return None


def _get_or_404(queryset: QuerySet[_M], pk: Any) -> _M:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在或您无权查看")) from None
    obj = queryset.filter(pk=key).first()
    if obj is None:
        raise NotFound(_("记录不存在或您无权查看"))
    return obj
