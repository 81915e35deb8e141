"""Right record first, at the reference scale: for every identifier and name sample of the
probe (generate.py), the first hit of its kind must be the record that holds the value.

    DANGAN_DATA_DIR=/work/benchdata/sqlite .venv/bin/python benchmarks/search_ranking.py

Runs the search selectors in-process, as the archivist and as the account manager of the
probe (whose samples come from their own customers). Prints one line per kind of query
and exits 1 if any sample's first hit is wrong.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchcommon import probe_path, setup_django


def checks() -> dict[str, tuple[str, Callable[[int, str], bool]]]:
    from dangan.archives.models import Dossier
    from dangan.core import identifiers
    from dangan.customers.models import Customer

    def customer(pk: int) -> Customer:
        return Customer.objects.get(pk=pk)

    def field(pk: int, name: str) -> str:
        return identifiers.normalize(str(Dossier.objects.get(pk=pk).fields.get(name) or ""))

    return {
        "id_full": ("customer", lambda pk, v: customer(pk).id_number == v),
        "id_last4": ("customer", lambda pk, v: customer(pk).id_number.endswith(v)),
        "id_last5": ("customer", lambda pk, v: customer(pk).id_number.endswith(v)),
        "id_last6": ("customer", lambda pk, v: customer(pk).id_number.endswith(v)),
        "mobile_full": ("customer", lambda pk, v: customer(pk).mobile == v),
        "name_full": ("customer", lambda pk, v: customer(pk).name == v),
        "name_2char": ("customer", lambda pk, v: customer(pk).name == v),
        "archive_number": (
            "dossier",
            lambda pk, v: Dossier.objects.get(pk=pk).archive_number == v,
        ),
        "vin": ("dossier", lambda pk, v: field(pk, "vin") == v),
        "vin_last6": ("dossier", lambda pk, v: field(pk, "vin").endswith(v)),
        "member_no": ("dossier", lambda pk, v: field(pk, "member_no") == identifiers.normalize(v)),
    }


def first_hit(result: Any, kind: str) -> int | None:
    group = next((g for g in result.groups if g.kind == kind), None)
    return group.hits[0].pk if group and group.hits else None


def main() -> int:
    setup_django()
    from dangan.accounts.models import User
    from dangan.search import selectors

    probe = json.loads(probe_path().read_text())
    wrong = 0
    for username, samples in probe["samples"].items():
        actor = User.objects.get(username=username)
        for kind, (group, holds) in checks().items():
            values = samples.get(kind, [])
            bad = [
                v
                for v in values
                if (pk := first_hit(selectors.search(actor, v), group)) is None or not holds(pk, v)
            ]
            wrong += len(bad)
            note = f"  wrong: {bad[:3]}" if bad else ""
            right = f"{len(values) - len(bad):3d}/{len(values)}"
            print(f"{username:6s} {kind:15s} right first {right}{note}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
