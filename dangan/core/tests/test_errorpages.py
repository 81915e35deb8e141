"""The error pages: the product's layout, Chinese words, a way back; JSON under /api/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_a_404_page_in_the_layout_with_a_way_home(bob: Any) -> None:
    response = _signed_in(bob).get("/no-such-page/", HTTP_REFERER="http://testserver/customers/")
    assert response.status_code == 404
    text = response.content.decode()
    assert 'class="topbar"' in text and "页面不存在" in text
    assert 'href="/"' in text and "返回首页" in text
    assert 'href="http://testserver/customers/"' in text  # back where they came from
    assert "Not Found" not in text


def test_it_shows_a_403_page_with_the_reason(ada: Any) -> None:
    response = _signed_in(ada).get("/customers/")
    assert response.status_code == 403
    text = response.content.decode()
    assert 'class="topbar"' in text and "无权访问" in text and "返回首页" in text
    assert "Forbidden" not in text


def test_it_never_offers_a_foreign_site_as_the_way_back(bob: Any) -> None:
    response = _signed_in(bob).get("/no-such-page/", HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in response.content.decode()


def test_it_answers_csrf_failures_in_chinese_without_debug_advice(bob: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post("/logout/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "提交未被接受" in text and "返回首页" in text
    assert "DEBUG" not in text and "CSRF verification failed" not in text


def test_it_renders_the_500_page_without_the_database(
    rf: Any, django_assert_num_queries: Any
) -> None:
    from dangan.core.errorpages import handler500

    request = rf.get("/customers/")
    with django_assert_num_queries(0):
        response = handler500(request)
    text = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in text and 'href="/"' in text and "app.css" in text


def test_it_keeps_json_errors_on_api_routes(bob: Any, rf: Any) -> None:
    from dangan.core.errorpages import csrf_failure, handler500

    response = _signed_in(bob).get("/api/v1/no-such-list/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert handler500(rf.get("/api/v1/customers/"))["Content-Type"] == "application/json"
    assert csrf_failure(rf.post("/api/v1/customers/")).status_code == 403
