"""Forms of the account pages: they check shape only; the rules live in security.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangan.accounts import security
from dangan.accounts.models import Lockout
from dangan.audit.middleware import client_ip


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a locked account or address before the password is
    even looked at. Its field names (username, password) are what the browser tests use."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # The same words whether or not the username exists.
        "invalid_login": _("用户名或密码不正确。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lockout: Lockout | None = None
        self.bad_credentials = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            self.lockout = security.active_lockout(username=username, ip=client_ip.get())
            if self.lockout is not None:
                raise ValidationError(security.locked_message(self.lockout), code="locked")
        try:
            return super().clean()
        except ValidationError as exc:
            self.bad_credentials = exc.code == "invalid_login"
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        min_length=6,
        max_length=6,
        help_text=_("验证器应用(如 Microsoft Authenticator、Google 身份验证器)中的 6 位数字"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise ValidationError(_("请输入 6 位数字"))
        return code


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("原密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(
            str(text) for text in password_validators_help_texts()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("令牌名称"),
        max_length=64,
        required=False,
        help_text=_("用途,如“报表脚本”"),
    )
