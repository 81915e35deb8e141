"""Codes and sizes as people read them (core.display and its template filters)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from dangan.core.display import human_size, retention_label


@pytest.mark.parametrize(
    ("code", "label"),
    [("Y", "永久"), ("D30", "定期30年"), ("D10", "定期10年"), ("15", "定期15年"), ("", "")],
)
def test_it_names_the_retention_periods(code: str, label: str) -> None:
    assert retention_label(code) == label


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (512, "512 B"), (22764, "22.2 KB"), (3 * 1024**2 + 400_000, "3.4 MB")],
)
def test_it_writes_sizes_for_people(size: int, text: str) -> None:
    assert human_size(size) == text


def test_the_filters_render_in_templates() -> None:
    template = Template("{% load display %}{{ r|retention }} {{ n|human_size }}")
    assert template.render(Context({"r": "D30", "n": 22764})) == "定期30年 22.2 KB"


@pytest.mark.django_db
def test_it_shows_retention_as_a_label_on_the_dossier_page(bob: Any, car_dossier: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(bob)
    page = client.get(f"/dossiers/{car_dossier.pk}/").content.decode()
    assert "保管期限 定期30年" in page
