from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.http import app_errors


@login_required
@app_errors
def manage_home(request: HttpRequest) -> HttpResponse:
    policy.require_any(request.user, perms.USER_MANAGE, perms.ROLE_MANAGE, perms.SECURITY_MANAGE)
    return render(request, "accounts/manage/home.html", {"section": "manage"})
