from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy, security, services
from dangan.accounts.forms import CodeForm, LoginForm, PasswordChangeForm, TokenCreateForm
from dangan.accounts.models import User
from dangan.audit.middleware import client_ip
from dangan.audit.services import audit_record
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import add_form_error, app_errors

# Between a correct password and the second-factor code, the session holds only this
# (the user is not logged in yet), for a few minutes.
PENDING_2FA = "dangan_2fa_pending"
PENDING_2FA_SECONDS = 300


class LoginView(auth_views.LoginView):
    """Django's login, with lockout, second factor and every outcome in the audit trail."""

    form_class = LoginForm

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if security.needs_second_factor(user):
            self.request.session[PENDING_2FA] = {
                "user": user.pk,
                "backend": getattr(user, "backend", ""),
                "next": self.get_success_url(),
                "started": time.time(),
            }
            return redirect("login_2fa")
        auth_login(self.request, user)
        security.login_succeeded(user=user, ip=client_ip.get())
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        username = str(form.data.get("username", ""))
        if form.lockout is not None:
            security.login_refused(username=username, ip=client_ip.get(), lockout=form.lockout)
        elif form.bad_credentials:
            lockout = security.login_failed(username=username, ip=client_ip.get())
            if lockout is not None:
                form.errors.clear()
                form.add_error(None, security.locked_message(lockout))
        return super().form_invalid(form)


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_2FA)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("started", 0)) > PENDING_2FA_SECONDS:
        del request.session[PENDING_2FA]
        return None
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True).first()
    return (user, pending) if user is not None else None


def _back_to_login(request: HttpRequest, message: str) -> HttpResponse:
    request.session.pop(PENDING_2FA, None)
    messages.error(request, message)
    return redirect("login")


@never_cache
@require_http_methods(["GET", "POST"])
def login_2fa(request: HttpRequest) -> HttpResponse:
    """Second step of the login: a TOTP code, or enrolment first when a role requires it."""
    found = _pending_user(request)
    if found is None:
        return _back_to_login(request, _("登录已超时,请重新输入用户名和密码"))
    user, pending = found
    ip = client_ip.get()
    lockout = security.active_lockout(username=user.username, ip=ip)
    if lockout is not None:
        security.login_refused(username=user.username, ip=ip, lockout=lockout)
        return _back_to_login(request, security.locked_message(lockout))
    enrol = not user.totp_enabled
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if enrol:
                security.totp_enable(actor=user, code=code)
            elif not security.totp_check(user=user, code=code):
                raise ApplicationError(_("验证码不正确"), field="code")
        except ApplicationError as exc:
            lockout = security.login_failed(username=user.username, ip=ip, stage="2fa")
            if lockout is not None:
                return _back_to_login(request, security.locked_message(lockout))
            add_form_error(form, exc)
        else:
            del request.session[PENDING_2FA]
            auth_login(request, user, backend=pending.get("backend") or None)
            security.login_succeeded(user=user, ip=ip)
            return HttpResponseRedirect(pending.get("next") or reverse("home"))
    context: dict[str, Any] = {"form": form, "enrol": enrol, "pending_user": user}
    if enrol:
        context.update(_qr_context(user, security.totp_setup_begin(actor=user)))
    return render(request, "registration/login_2fa.html", context)


def _qr_context(user: User, secret: str) -> dict[str, Any]:
    uri, svg = security.totp_provisioning(user, secret)
    # segno writes the SVG itself from the otpauth URI; nothing user-typed reaches it raw.
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr_svg": mark_safe(svg), "secret": grouped, "otpauth_uri": uri}  # noqa: S308


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(actor=request.user, action="logout")
        return super().post(request, *args, **kwargs)


# --- The signed-in user's security page ------------------------------------------------


def _security_page(request: HttpRequest, **forms: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        "section": "account",
        "password_form": forms.pop("password_form", None) or PasswordChangeForm(),
        "disable_form": forms.pop("disable_form", None) or CodeForm(),
        "token_form": forms.pop("token_form", None) or TokenCreateForm(),
        "tokens": security.tokens_for(user, owner=user),
        "required_2fa": any(role.require_2fa for role in policy.roles_of(user)),
        "can_manage_tokens": policy.has_perm(user, perms.USER_TOKENS),
        "can_manage_lockouts": policy.has_perm(user, perms.SECURITY_MANAGE),
        **forms,
    }
    return render(request, "accounts/security.html", context)


@login_required
@never_cache
def security_settings(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            security.password_change(
                actor=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, _("密码已修改"))
            return redirect("accounts:security")
    return _security_page(request, password_form=form)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.totp_enabled:
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            security.totp_enable(actor=user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("双因素登录已启用"))
            return redirect("accounts:security")
    context = {"section": "account", "form": form}
    context.update(_qr_context(user, security.totp_setup_begin(actor=user)))
    return render(request, "accounts/totp_setup.html", context)


@login_required
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            security.totp_disable(actor=request.user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("双因素登录已停用"))
            return redirect("accounts:security")
    return _security_page(request, disable_form=form)


# --- API tokens ------------------------------------------------------------------------


@login_required
@never_cache
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _security_page(request, token_form=form)
    user: User = request.user  # type: ignore[assignment]
    token = services.token_create(actor=user, user=user, name=form.cleaned_data["name"])
    # Shown in this response only: only the token's hash is kept, so it is never seen again.
    return _security_page(request, new_token=token)


@login_required
@require_POST
@app_errors
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    token = security.access_token(user, pk)
    services.token_revoke(actor=user, token=token)
    messages.success(request, _("已撤销令牌 %(prefix)s…") % {"prefix": token.prefix})
    if token.user_id == user.pk:
        return redirect("accounts:security")
    return redirect(f"{reverse('accounts:tokens')}?user={token.user_id}")


@login_required
@app_errors
def token_list(request: HttpRequest) -> HttpResponse:
    """Everyone's tokens (or one user's) for holders of USER_TOKENS."""
    actor: User = request.user  # type: ignore[assignment]
    policy.require(actor, perms.USER_TOKENS)
    owner = None
    if request.GET.get("user"):
        try:
            owner = User.objects.get(pk=int(request.GET["user"]))
        except (ValueError, User.DoesNotExist):
            raise NotFound(_("记录不存在或您无权查看")) from None
    tokens = security.tokens_for(actor, owner=owner) if owner else security.tokens_for(actor)
    holders = User.objects.filter(api_tokens__isnull=False).distinct().order_by("username")
    return render(
        request,
        "accounts/tokens.html",
        {"section": "manage", "tokens": tokens[:500], "owner": owner, "holders": holders},
    )


# --- Lockouts (security administrator) ---------------------------------------------------


@login_required
@app_errors
def lockout_list(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    rules = security.lockout_policy()
    return render(
        request,
        "accounts/lockouts.html",
        {
            "section": "manage",
            "lockouts": security.lockouts_for(actor),
            "attempts": security.failed_attempts_for(actor),
            "rules": {
                "attempts": rules.attempts,
                "ip_attempts": rules.ip_attempts,
                "window_minutes": int(rules.window.total_seconds() // 60),
                "duration_minutes": int(rules.duration.total_seconds() // 60),
            },
        },
    )


@login_required
@require_POST
@app_errors
def lockout_lift(request: HttpRequest, pk: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    lockout = security.lockout_lift(actor=actor, lockout=security.access_lockout(actor, pk))
    messages.success(
        request,
        _("已解锁 %(kind)s %(key)s") % {"kind": lockout.get_kind_display(), "key": lockout.key},
    )
    return redirect("accounts:lockouts")
