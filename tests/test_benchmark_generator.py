"""The benchmark data set carries what real data carries: each dossier holds the business
keys (DossierKey, issue 23 §5) its type declares, the very rows the services write, so
the benchmarks measure the real key lookups (benchmarks/generate.py)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dangan.archives import keys
from dangan.archives.models import ArchiveType, DossierKey

pytestmark = pytest.mark.django_db

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _generate() -> ModuleType:
    """benchmarks/generate.py, a script, imported as a module (once)."""
    if "bench_generate" in sys.modules:
        return sys.modules["bench_generate"]
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # its benchcommon
    spec = importlib.util.spec_from_file_location("bench_generate", BENCHMARKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _key_rows() -> set[tuple[Any, ...]]:
    return set(DossierKey.objects.values_list("archive_type__code", "name", "value", "dossier"))


def test_generated_dossiers_hold_the_keys_the_services_would_claim(monkeypatch: Any) -> None:
    generate = _generate()
    pool = generate.TextPool
    monkeypatch.setattr(generate, "TextPool", lambda seed: pool(seed, per_theme=20))
    args = argparse.Namespace(customers=150, documents_per_dossier=1, text_every=0, seed=7)
    gen = generate.Generator(args, generate.setup_accounts_and_types(), generate.Writer())
    gen.write(gen.build(0, args.customers))
    written = _key_rows()
    assert {code for code, *_rest in written} == {"CAR-SALE", "CAR-SERVICE", "PROPERTY", "MEMBER"}
    # What the rules page's change of a type's keys claims anew from the dossiers' fields
    # (keys.claim_type: oldest first, no dossier found holding another's key).
    for archive_type in ArchiveType.objects.exclude(unique_keys=[]):
        assert keys.claim_type(archive_type) == []
    assert _key_rows() == written


def test_every_customer_has_a_home_of_its_own() -> None:
    generate = _generate()
    homes = [generate.Uniques.home(i) for i in range(3 * generate.HOMES_PER_BUILDING + 5)]
    assert len(set(homes)) == len(homes)
    assert homes[0] == (1, 1, 2, 1) and homes[-1] == (4, 1, 3, 1)
    assert {floor for _b, _e, floor, _r in homes} == set(range(2, 29))
