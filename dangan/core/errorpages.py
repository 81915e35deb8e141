"""The error pages (403, 404, 500, CSRF failure) in the product's layout and words, each
with a way back. API routes keep answering JSON. The 500 page renders without the
database or the request's context processors: whatever failed may be the database."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

_API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(_API_PREFIX)


def _page(request: HttpRequest | None, status: int, title: str, message: str) -> HttpResponse:
    context: dict[str, Any] = {"status": status, "title": title, "message": message}
    if request is not None:
        context["back"] = _back(request)
    template = loader.get_template("core/error.html")
    return HttpResponse(template.render(context, request), status=status)


def _back(request: HttpRequest) -> str:
    """Where the user came from, if it is a page of this site (not the failing one)."""
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if safe and referer != request.build_absolute_uri() else ""


def _reason(exception: Exception | None) -> str:
    """The message a view raised with (our own, already in Chinese), if any."""
    if exception is None or not exception.args:
        return ""
    text = exception.args[0]
    return text if isinstance(text, str) and not text.isascii() else ""


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("您没有执行该操作的权限。")}, status=403)
    message = _reason(exception) or _("您没有权限查看此页面或执行此操作。如需访问,请联系管理员。")
    return _page(request, 403, _("无权访问"), message)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    message = _reason(exception) or _("您要找的页面不存在,或者您没有查看它的权限。")
    return _page(request, 404, _("页面不存在"), message)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("服务器内部错误,请稍后再试。")}, status=500)
    # No request: no context processors (they read the user and the database).
    return _page(
        None,
        500,
        _("系统出错了"),
        _("服务器处理请求时出错,已记录。请稍后再试;如果一再出现,请联系管理员。"),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("CSRF 校验失败,请刷新页面后重试。")}, status=403)
    message = _(
        "页面已过期或表单来自其他网站,为了安全本次提交未被接受。请返回上一页,刷新后重新提交。"
    )
    return _page(request, 403, _("提交未被接受"), message)
