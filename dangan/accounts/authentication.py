from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from dangan.accounts.services import token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer dgn_…` (SPEC §4)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头格式不正确"))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效")) from None
        user = token_authenticate(token)
        if user is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已被撤销"))
        return (user, None)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
