"""English is complete (SPEC C12): the catalogue has every source string translated, the
compiled catalogue that ships matches it, and pages switched to English show no Chinese
apart from user data and the language selector's own "简体中文"."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

CJK = re.compile(r"[\u4e00-\u9fff]")
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "django.po"
MO_FILE = CATALOGUE / "django.mo"
# %(name)s / %(n)d / %s and the archive-number placeholders such as {seq:N}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[\w:]+\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def _unquote(text: str) -> str:
    value = ast.literal_eval(text.strip())
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for Django's catalogues (no msgctxt is used)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current, target
        if current.msgid or current.msgstr:
            entries.append(current)
        current, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#~"):
            current.obsolete = True
        elif line.startswith("#,"):
            current.flags.update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            current.msgid_plural = _unquote(line[len("msgid_plural ") :])
            target = ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if current.msgstr:  # no blank line between entries
                flush()
            current.msgid = _unquote(line[len("msgid ") :])
            target = ("msgid", 0)
        elif line.startswith("msgstr["):
            number, text = line[len("msgstr[") :].split("]", 1)
            current.msgstr[int(number)] = _unquote(text)
            target = ("msgstr", int(number))
        elif line.startswith("msgstr "):
            current.msgstr[0] = _unquote(line[len("msgstr ") :])
            target = ("msgstr", 0)
        elif line.startswith('"') and target is not None:
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, kind, getattr(current, kind) + _unquote(line))
    flush()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_FILE)


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid and not e.obsolete]


def test_it_has_an_english_catalogue_header(po_entries: list[Entry]) -> None:
    header = next(e for e in po_entries if not e.msgid)
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]


def test_it_has_no_untranslated_or_fuzzy_entries(po_entries: list[Entry]) -> None:
    entries = messages(po_entries)
    assert len(entries) > 500  # the whole UI, not a stub
    untranslated = [e.msgid for e in entries if not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    plurals_incomplete = [e.msgid for e in entries if e.msgid_plural and set(e.msgstr) != {0, 1}]
    assert untranslated == []
    assert fuzzy == []
    assert plurals_incomplete == []
    assert [e.msgid for e in po_entries if e.obsolete] == []


def test_the_catalogue_holds_every_string_the_code_marks(
    po_entries: list[Entry], tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """makemessages over a copy of the sources finds no string the catalogue lacks: a
    string marked for translation but never added shows in Chinese on English pages.
    (Mark strings with gettext, gettext_lazy or _: xgettext knows no other names.)"""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: run ./scripts/test, which installs Debian's gettext")
    copy = tmp_path / "dangan"
    shutil.copytree(
        settings.BASE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "locale"]  # never the real catalogue
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["en"], no_obsolete=True, no_wrap=True, verbosity=0)
    ours = {e.msgid for e in messages(po_entries)}
    wanted = {
        e.msgid for e in messages(parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    }
    assert sorted(wanted - ours) == []
    assert sorted(ours - wanted) == []  # nor strings no longer used


def test_it_has_no_chinese_left_in_translations(po_entries: list[Entry]) -> None:
    # The language selector names Simplified Chinese in Chinese, so a user can find it.
    leftovers = [
        (e.msgid, s)
        for e in messages(po_entries)
        for s in e.msgstr.values()
        if CJK.search(s) and e.msgid != "简体中文"
    ]
    # One help text quotes a field value from the seed templates (fields.payment=按揭).
    assert [m for m, s in leftovers if "fields.payment=按揭" not in s] == []


def test_it_keeps_every_placeholder(po_entries: list[Entry]) -> None:
    broken = []
    for e in messages(po_entries):
        wanted = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
        for translation in e.msgstr.values():
            if sorted(PLACEHOLDER.findall(translation)) != wanted:
                broken.append((e.msgid, translation))
    assert broken == []


def test_it_ships_a_compiled_catalogue_matching_the_po(po_entries: list[Entry]) -> None:
    assert MO_FILE.exists(), "run compilemessages: servers have no gettext"
    with MO_FILE.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    stale = []
    for e in messages(po_entries):
        if e.msgid_plural:
            got = [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            if got != [e.msgstr[0], e.msgstr[1]]:
                stale.append(e.msgid)
        elif compiled.gettext(e.msgid) != e.msgstr[0]:
            stale.append(e.msgid)
    assert stale == []


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def labels(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)]


@pytest.mark.django_db
def test_it_shows_the_login_page_in_english() -> None:
    response = english_client().get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Customer Archive Management System" in html
    assert labels(html) and not any(CJK.search(text) for text in labels(html))
    assert CJK.findall(html) == []


@pytest.mark.django_db
def test_it_keeps_simplified_chinese_as_the_default() -> None:
    response = Client().get("/login/")
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "登录" in html
    assert "Log in" not in html


def without_user_data(html: str, user: Any) -> str:
    """Drop what is data, not UI: the user's name, department and role names (roles are
    rows, named when created) and the selector's "简体中文"."""
    from dangan.accounts.models import Role

    data = ["简体中文", user.full_name, user.department.name if user.department else ""]
    data += [role.name for role in Role.objects.all()]
    for value in sorted(filter(None, data), key=len, reverse=True):
        html = html.replace(value, "")
    return html


def test_it_shows_the_customer_list_in_english(alice: Any) -> None:
    client = english_client()
    client.force_login(alice)
    response = client.get("/customers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "简体中文" in html  # the selector still offers Chinese, in Chinese
    assert "Customers" in html
    assert "0 customers" in html
    assert "Log out" in html
    assert CJK.findall(without_user_data(html, alice)) == []


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("alice", "/dossiers/"),
        ("alice", "/customers/new/"),
        ("alice", "/account/security/"),
        ("alice", "/account/2fa/setup/"),
        ("sam", "/manage/"),
        ("sam", "/manage/users/"),
        ("sam", "/manage/users/new/"),
        ("ada", "/audit/"),
        ("alice", "/search/?q=abc"),
        ("alice", "/import/"),
        ("alice", "/circulation/requests/"),
        ("alice", "/circulation/requests/new/"),
        ("alice", "/circulation/approvals/"),
        ("alice", "/circulation/loans/"),
        ("alice", "/circulation/grants/"),
        ("alice", "/circulation/notifications/"),
        ("alice", "/handover/"),
        ("alice", "/handover/new/"),
        ("alice", "/handover/desk/"),
        ("alice", "/intake/findings/"),
        ("alice", "/intake/statement/"),
        ("alice", "/intake/overdue/"),
        ("alice", "/intake/calendar/"),
    ],
)
@pytest.mark.django_db
def test_it_shows_other_pages_in_english(request: Any, persona: str, url: str) -> None:
    user = request.getfixturevalue(persona)
    client = english_client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert CJK.findall(without_user_data(response.content.decode(), user)) == []


@pytest.mark.django_db
def test_it_shows_a_dossier_s_year_deadline_and_place_in_english(
    alice: Any, car_dossier: Any
) -> None:
    from dangan.archives.services import dossier_locate

    place = {"room": "档案室A", "cabinet": "03", "shelf": "2", "box": "017", "position": "5"}
    dossier_locate(actor=alice, dossier=car_dossier, location=place)
    client = english_client()
    client.force_login(alice)
    html = client.get(f"/dossiers/{car_dossier.pk}/").content.decode()
    assert f"Year {car_dossier.volume_year}" in html
    assert "Business date missing" in html  # the deadline's badge: no delivery date yet
    assert "年度" not in html and "缺少业务日期" not in html
    # the room is the archive's own name; the numbered parts get their units in English
    shown = re.findall(r"<span>([^<]*)</span>", html.split('id="location"')[1].split("</div>")[0])
    assert shown == ["档案室A", "Cabinet 03", "Shelf 2", "Box 017", "No. 5"]
