"""Units (房号) with or without the entrance (单元): 3-1-1203 is building 3, entrance 1,
room 1203, however it is written, and 3-1203 still finds building 3's room 1203."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dangan.archives.services import dossier_create
from dangan.search import segment as seg
from dangan.search.selectors import search
from dangan.search.services import rebuild_index
from dangan.search.tests.test_search import count

WITH_ENTRANCE = [
    "3-1-1203",
    "3栋1单元1203",
    "3号楼1单元1203室",
    "3号楼-1单元-1203",
    "3#1-1203",
    "3幢1门1203",
    "03栋01单元1203",
    "３－１－１２０３",
    " 3 栋 1 单元 1203 ",
]
WITHOUT_ENTRANCE = ["3-1203", "3栋1203", "3号楼1203室", "3#1203", "3幢-1203", "3—1203"]


@pytest.mark.parametrize("typed", WITH_ENTRANCE)
def test_it_keeps_the_entrance_of_a_typed_unit(typed: str) -> None:
    assert seg.unit_query(typed) == ["3x1x1203", "3xx1203"]


@pytest.mark.parametrize("typed", WITHOUT_ENTRANCE)
def test_it_reads_a_unit_without_entrance_as_building_and_room(typed: str) -> None:
    assert seg.unit_query(typed) == ["3x1203"]


@pytest.mark.parametrize("typed", ["1203", "1单元1203", "张三", "13800138000", "3-1-", "A-1203"])
def test_it_does_not_take_other_input_for_a_unit(typed: str) -> None:
    assert seg.unit_query(typed) == []


@pytest.mark.parametrize(
    ("building", "entrance", "unit", "tokens"),
    [
        ("3", "", "1203", {"3x1203", "3xx1203"}),  # real-estate sale: no entrance recorded
        ("3号楼", "1单元", "1203", {"3x1203", "3x1x1203"}),  # property: its own 单元 field
        ("3号楼", "1单元", "3-1203", {"3x1203", "3x1x1203"}),  # the unit repeats the building
        ("3", "", "3栋1单元1203", {"3x1203", "3x1x1203"}),
        ("", "", "3-1-1203", {"3x1203", "3x1x1203"}),
        # 1-1203 in building 3: entrance 1 — or building 1 if the unit stands alone.
        ("3", "", "1-1203", {"3x1203", "3x1x1203", "1x1203", "1xx1203"}),
        ("A座", "", "1203", set()),
    ],
)
def test_it_indexes_what_the_unit_fields_hold(
    building: str, entrance: str, unit: str, tokens: set[str]
) -> None:
    assert set(seg.unit_keys(building, entrance, unit)) == tokens


def numbers(user: Any, q: str) -> list[str]:
    """Archive numbers of the dossier hits, best first."""
    groups = [g for g in search(user, q).groups if g.kind == "dossier"]
    hits = groups[0].hits if groups else []
    return [re.sub(r"</?mark>", "", str(h.title)).split(" ")[0] for h in hits]


@pytest.fixture
def homes(templates: Any, alice: Any, bobs_customer: Any) -> dict[str, Any]:
    def prop(entrance: str, unit: str = "1203") -> Any:
        fields = {"building": "3号楼", "entrance": entrance, "floor": 12, "unit": unit}
        fields["move_in_date"] = "2026-10-01"
        return dossier_create(
            actor=alice, customer=bobs_customer, archive_type=templates["PROPERTY"], fields=fields
        )

    sale = dossier_create(
        actor=alice,
        customer=bobs_customer,
        archive_type=templates["RE-SALE"],
        fields={"building": "3", "unit": "1203", "payment": "按揭", "contract_date": "2026-10-01"},
    )
    homes = {"sale": sale, "e1": prop("1单元"), "e2": prop("2单元"), "other": prop("1", "1204")}
    rebuild_index()
    return {key: dossier.archive_number for key, dossier in homes.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("typed", WITH_ENTRANCE)
def test_it_finds_the_entrance_asked_for_and_units_without_entrance(
    alice: Any, homes: dict[str, str], typed: str
) -> None:
    found = numbers(alice, typed)
    assert found[0] == homes["e1"]  # the exact entrance first
    assert set(found) == {homes["e1"], homes["sale"]}  # not entrance 2, not room 1204


@pytest.mark.django_db
@pytest.mark.parametrize("typed", WITHOUT_ENTRANCE)
def test_it_finds_every_entrance_when_none_is_typed(
    alice: Any, homes: dict[str, str], typed: str
) -> None:
    assert set(numbers(alice, typed)) == {homes["sale"], homes["e1"], homes["e2"]}


@pytest.mark.django_db
def test_it_finds_a_sale_whose_unit_holds_the_entrance(
    templates: Any, alice: Any, bobs_customer: Any, dave: Any
) -> None:
    sale = dossier_create(
        actor=alice,
        customer=bobs_customer,
        archive_type=templates["RE-SALE"],
        fields={
            "building": "3号楼",
            "unit": "1-1203",
            "payment": "按揭",
            "contract_date": "2026-10-01",
        },
    )
    rebuild_index()
    assert numbers(alice, "3-1-1203") == [sale.archive_number]
    assert numbers(alice, "3栋1203") == [sale.archive_number]
    assert numbers(alice, "3-2-1203") == []
    assert count(dave, "3-1-1203", "dossier") == 0  # another department's: not even counted
