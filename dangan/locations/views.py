"""The archive room's pages: the tree of places (set up by the room), a place with what it
holds and its prints, and placing a dossier on a place from its page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors, attempt
from dangan.locations import selectors, services
from dangan.locations.forms import LocationCreateForm, PlaceForm
from dangan.paper.lists import in_order, location_dossiers


@login_required
@app_errors
def location_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_VIEW)
    rows = selectors.tree()
    paths = {row.node.pk: row.path for row in rows}
    can_edit = policy.has_perm(actor, perms.DOSSIER_LOCATE)
    form = LocationCreateForm(request.POST or None, paths=paths) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            node = services.location_create(
                actor=actor,
                kind=data["kind"],
                name=data["name"],
                parent=data["parent"],
                capacity=data["capacity"],
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已添加:%(p)s") % {"p": services.path_text(node)})
            return redirect("locations:list")
    context = {"rows": rows, "form": form, "section": "locations"}
    return render(request, "locations/list.html", context)


@login_required
@require_POST
@app_errors
def location_link(request: HttpRequest) -> HttpResponse:
    """Set the tree up from the places dossiers already name in text."""
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_LOCATE)
    created, linked = services.tree_from_texts(actor=actor)
    messages.success(
        request,
        _("新建位置 %(c)s 个,关联档案 %(n)s 份") % {"c": created, "n": linked},
    )
    return redirect("locations:list")


@login_required
@app_errors
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    node = services.access_location(actor, pk)
    rows = selectors.tree(node)
    dossiers = in_order(location_dossiers(actor, node))
    context = {
        "node": node,
        "rows": rows,
        "here": rows[0],
        "dossiers": dossiers,
        "can_edit": policy.has_perm(actor, perms.DOSSIER_LOCATE),
        "section": "locations",
    }
    return render(request, "locations/detail.html", context)


@login_required
@require_POST
@app_errors
def dossier_place(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a dossier on a place picked from the tree (its page's picker)."""
    actor = actor_of(request)
    dossier = policy.access_dossier(actor, pk, action=perms.DOSSIER_LOCATE)
    form = PlaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择存放位置"))
        return redirect("archives:dossier", dossier.pk)
    attempt(
        request,
        lambda: services.dossier_relocate(
            actor=actor, dossier=dossier, location={"node": form.cleaned_data["node"]}
        ),
        _("存放位置已更新"),
    )
    return redirect("archives:dossier", dossier.pk)


__all__ = ["dossier_place", "location_detail", "location_list"]
