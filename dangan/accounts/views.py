from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_record


class LoginView(auth_views.LoginView):
    """Django's login, with every success and failure in the audit trail."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.get_user(), action="login")
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = str(form.data.get("username", ""))[:150]
        audit_record(
            actor=None,
            action="login",
            object_type="user",
            object_repr=username,
            outcome=AuditEntry.Outcome.FAILED,
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(actor=request.user, action="logout")  # type: ignore[arg-type]
        return super().post(request, *args, **kwargs)


@login_required
def home(request: HttpRequest) -> HttpResponse | HttpResponseRedirect:
    """Send each user to where their work is."""
    if policy.has_perm(request.user, perms.CUSTOMER_VIEW):
        return redirect("customers:list")
    if policy.has_perm(request.user, perms.AUDIT_VIEW):
        return redirect("audit:list")
    if policy.permissions_of(request.user) & {
        perms.USER_MANAGE, perms.ROLE_MANAGE, perms.SECURITY_MANAGE
    }:
        return redirect("manage:home")
    if policy.has_perm(request.user, perms.ARCHIVE_TYPE_MANAGE):
        return redirect("archives:type_list")
    return render(request, "home.html")


@login_required
def security_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html", {"section": "account"})
