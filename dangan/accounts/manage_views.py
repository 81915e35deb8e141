"""Administration pages: users (system admin), roles (security admin).

Forms check shape only; the services in dangan.accounts.services decide what is allowed
(separation of duties, the last administrator, one's own roles)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from dangan.accounts import permissions as perms
from dangan.accounts import policy, services
from dangan.accounts.models import Department, Role, User
from dangan.core.errors import ApplicationError
from dangan.core.http import add_form_error, app_errors

PAGE_SIZE = 50

# Permission checkboxes, grouped by what they concern.
PERMISSION_GROUPS: list[tuple[Any, tuple[str, ...]]] = [
    (gettext_lazy("客户"), ("customer.",)),
    (gettext_lazy("档案"), ("dossier.",)),
    (gettext_lazy("文件与扫描件"), ("document.", "file.")),
    (gettext_lazy("档案类型"), ("archive_type.",)),
    (gettext_lazy("用户、角色与安全"), ("user.", "role.", "security.")),
    (gettext_lazy("审计"), ("audit.",)),
]


def permission_choices() -> list[tuple[Any, list[tuple[str, Any]]]]:
    groups = [
        (label, [(c, perms.LABELS[c]) for c in perms.LABELS if c.startswith(prefixes)])
        for label, prefixes in PERMISSION_GROUPS
    ]
    grouped = {code for _label, items in groups for code, _l in items}
    rest = [(c, perms.LABELS[c]) for c in perms.LABELS if c not in grouped]
    if rest:
        groups.append((gettext_lazy("其他"), rest))
    return [(label, items) for label, items in groups if items]


def _roles_field() -> forms.ModelMultipleChoiceField[Role]:
    return forms.ModelMultipleChoiceField(
        label=gettext_lazy("角色"),
        queryset=Role.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )


def _department_field() -> forms.ModelChoiceField[Department]:
    return forms.ModelChoiceField(
        label=gettext_lazy("部门"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("(无)"),
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("用户名或姓名"), required=False, max_length=100)
    department = _department_field()
    role = forms.ModelChoiceField(
        label=gettext_lazy("角色"),
        queryset=Role.objects.all(),
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    active = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("1", gettext_lazy("在用")),
            ("0", gettext_lazy("已停用")),
        ],
    )


class UserForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=64, required=False)
    department = _department_field()
    new_department = forms.CharField(
        label=gettext_lazy("或新部门名称"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("填写后将新建该部门(已有同名部门时直接使用)"),
    )
    roles = _roles_field()

    def department_name(self) -> str:
        typed = self.cleaned_data.get("new_department", "").strip()
        chosen = self.cleaned_data.get("department")
        return typed or (chosen.name if chosen else "")


class UserCreateForm(UserForm):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("初始密码"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("留空则自动生成,只显示一次"),
    )
    field_order = ["username", "full_name", "department", "new_department", "roles", "password"]


class UserEditForm(UserForm):
    is_active = forms.BooleanField(label=gettext_lazy("在用(取消即停用账号)"), required=False)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("新密码"),
        required=False,
        widget=forms.PasswordInput,
        help_text=gettext_lazy("留空则自动生成,只显示一次"),
    )


class RoleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("角色名称"), max_length=64)
    scope = forms.ChoiceField(label=gettext_lazy("数据范围"), choices=Role.Scope.choices)
    clearance = forms.ChoiceField(label=gettext_lazy("可阅密级"), choices=Role.Clearance.choices)
    field_limited = forms.BooleanField(
        label=gettext_lazy("仅限基本字段(单位、姓名、职务)"), required=False
    )
    require_2fa = forms.BooleanField(label=gettext_lazy("须双因素登录"), required=False)
    permissions = forms.MultipleChoiceField(
        label=gettext_lazy("权限"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = permission_choices()  # type: ignore[attr-defined]


class RoleCreateForm(RoleForm):
    code = forms.SlugField(
        label=gettext_lazy("角色代码"),
        max_length=32,
        help_text=gettext_lazy("小写英文字母、数字或下划线"),
    )
    field_order = ["code", "name"]


# --- pages ---------------------------------------------------------------------------


@login_required
@app_errors
def manage_home(request: HttpRequest) -> HttpResponse:
    policy.require_any(request.user, perms.USER_MANAGE, perms.ROLE_MANAGE, perms.SECURITY_MANAGE)
    return render(request, "accounts/manage/home.html", {"section": "manage"})


def _user_list(filters: dict[str, Any]) -> QuerySet[User]:
    users = User.objects.select_related("department").prefetch_related("roles")
    if q := filters.get("q"):
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if department := filters.get("department"):
        users = users.filter(department=department)
    if role := filters.get("role"):
        users = users.filter(roles=role)
    if active := filters.get("active"):
        users = users.filter(is_active=active == "1")
    return users.order_by("username")


@login_required
@app_errors
def user_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.USER_MANAGE)
    form = UserFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(_user_list(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "accounts/manage/users.html", {"section": "manage", "form": form, "page": page}
    )


@never_cache
@login_required
@app_errors
def user_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.USER_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = services.user_create(
                actor=request.user,  # type: ignore[arg-type]
                username=data["username"].strip(),
                full_name=data["full_name"],
                department=form.department_name(),
                roles=[role.code for role in data["roles"]],
                password=data["password"] or None,
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已创建用户“%(u)s”") % {"u": user.username})
            # The password is shown on this one response and never again.
            context = {"section": "manage", "target": user, "password": password}
            if data["password"]:
                return redirect("manage:users")
            return render(request, "accounts/manage/user_password_done.html", context)
    return render(request, "accounts/manage/user_form.html", {"section": "manage", "form": form})


@login_required
@app_errors
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.USER_MANAGE)
    target = get_object_or_404(User.objects.select_related("department"), pk=pk)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                "full_name": data["full_name"],
                "department": form.department_name(),
                "roles": [role.code for role in data["roles"]],
                "is_active": data["is_active"],
            }
            try:
                services.user_update(actor=request.user, user=target, changes=changes)  # type: ignore[arg-type]
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("manage:users")
    else:
        form = UserEditForm(
            initial={
                "full_name": target.full_name,
                "department": target.department_id,
                "roles": list(target.roles.values_list("code", flat=True)),
                "is_active": target.is_active,
            }
        )
    return render(
        request,
        "accounts/manage/user_form.html",
        {"section": "manage", "form": form, "target": target, "is_self": target == request.user},
    )


@never_cache
@login_required
@app_errors
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.USER_MANAGE)
    target = get_object_or_404(User, pk=pk)
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["password"] or None
        try:
            password = services.user_set_password(
                actor=request.user,  # type: ignore[arg-type]
                user=target,
                password=typed,
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            if typed:
                messages.success(request, _("已为“%(u)s”设置新密码") % {"u": target.username})
                return redirect("manage:users")
            context = {"section": "manage", "target": target, "password": password}
            return render(request, "accounts/manage/user_password_done.html", context)
    return render(
        request,
        "accounts/manage/user_password.html",
        {"section": "manage", "form": form, "target": target},
    )


@login_required
@app_errors
def role_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.ROLE_MANAGE)
    roles = Role.objects.annotate(
        user_count=Count("users", filter=Q(users__is_active=True))
    ).order_by("id")
    return render(request, "accounts/manage/roles.html", {"section": "manage", "roles": roles})


@login_required
@app_errors
def role_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.ROLE_MANAGE)
    form = RoleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = services.role_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已创建角色“%(r)s”") % {"r": role.name})
            return redirect("manage:roles")
    return render(
        request,
        "accounts/manage/role_form.html",
        {"section": "manage", "form": form, "creating": True},
    )


@login_required
@app_errors
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.ROLE_MANAGE)
    role = get_object_or_404(Role, pk=pk)
    if request.method == "POST":
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                services.role_update(actor=request.user, role=role, changes=form.cleaned_data)  # type: ignore[arg-type]
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(request, _("已保存角色“%(r)s”") % {"r": role.name})
                return redirect("manage:roles")
    else:
        form = RoleForm(initial={key: getattr(role, key) for key in services.ROLE_FIELDS})
    holders = role.users.order_by("username")
    return render(
        request,
        "accounts/manage/role_form.html",
        {"section": "manage", "form": form, "role": role, "holders": holders},
    )
