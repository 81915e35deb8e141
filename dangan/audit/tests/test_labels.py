"""The audit trail as people read it: every action and kind of object the code records has
a Chinese name, and details are "key: value" text, not JSON."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from dangan.accounts.models import User
from dangan.audit.labels import ACTION_LABELS, detail_items, object_type_label
from dangan.audit.services import audit_record

ROOT = Path(__file__).resolve().parents[2]

# Where the code names an audit action: audit_record(action="…"), an Event("…", …),
# refusals_audited("…", …).
_ACTION = re.compile(
    r'\baction="([a-z0-9_]+)"|\bEvent\(\s*"([a-z0-9_]+)"|refusals_audited\(\s*"([a-z0-9_]+)"'
)
_OBJECT_TYPE = re.compile(
    r'\bobject_type="([a-z0-9_]+)"|refusals_audited\(\s*"[a-z0-9_]+",\s*"([a-z_]+)"'
)


def _recorded(pattern: re.Pattern[str]) -> set[str]:
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "cli.py":
            continue
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.add(next(g for g in match.groups() if g))
    return found


def test_it_names_every_action_the_code_records() -> None:
    actions = _recorded(_ACTION)
    assert {"login", "lend", "custody", "statement_submit"} <= actions  # the scan works
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_it_names_every_kind_of_object() -> None:
    from django.apps import apps

    kinds = {t.removesuffix("_id") for t in _recorded(_OBJECT_TYPE)}
    kinds |= {m._meta.model_name for m in apps.get_models() if m.__module__.startswith("dangan")}
    unnamed = [k for k in sorted(kinds) if re.fullmatch(r"[a-z0-9_]+", object_type_label(k))]
    assert unnamed == []
    assert object_type_label("dossier") == "档案"


def test_it_writes_details_as_key_value_text() -> None:
    items = detail_items(
        {"reason": "not_found", "before": {"name": "甲"}, "signed": True, "x": [1, 2]}
    )
    assert items == [
        ("原因", "不存在或无权查看"),
        ("修改前", "名称: 甲"),
        ("已签字", "是"),
        ("x", "1、2"),
    ]


@pytest.mark.django_db
def test_it_shows_labels_on_the_audit_page(ada: User, bob: User) -> None:
    audit_record(
        actor=bob,
        action="custody",
        object_type="handover",
        object_id="3",
        detail={"handover": "YJ-2026-0001", "to": "档案室"},
    )
    client = Client()
    client.force_login(ada)
    html = client.get("/audit/").content.decode()
    assert "保管转移" in html and "移交" in html
    assert "移交单:</span> YJ-2026-0001" in html
    assert '{"handover"' not in html and "&quot;handover&quot;" not in html
