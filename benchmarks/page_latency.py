"""Latency of the dossier page (50 documents), the customer search, the home page and
the API's plain lists, through gunicorn.

Usage: python benchmarks/page_latency.py [--customers 2000] [--documents 2000]
    [--requests 300] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchcommon import ROOT, free_port, login


def build(customers: int, documents: int) -> dict[str, object]:
    """Create the data set with the real services (slow but honest), return probe values."""
    import django

    django.setup()
    from django.db import transaction

    from dangan.accounts.services import user_create
    from dangan.archives.loader import templates_load
    from dangan.archives.services import dossier_create
    from dangan.core.identifiers import make_mobile, make_resident_id, make_vin
    from dangan.customers.services import customer_create
    from dangan.documents.models import Document

    rng = random.Random(1)
    clerk, _ = user_create(
        actor=None,
        username="bench",
        roles=["archivist"],
        password="Bench-2026!",
        department="档案室",
    )
    templates_load(actor=None)
    from dangan.archives.models import ArchiveType

    car = ArchiveType.objects.get(code="CAR-SALE")
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    probe: dict[str, object] = {}
    with transaction.atomic():
        for i in range(customers):
            name = rng.choice(surnames) + "".join(
                rng.choice(given) for _ in range(rng.choice((1, 2)))
            )
            id_number = make_resident_id(rng)
            mobile = make_mobile(rng)
            customer = customer_create(
                actor=clerk, kind="individual", name=name, id_number=id_number, mobile=mobile
            )
            dossier = dossier_create(
                actor=clerk,
                customer=customer,
                archive_type=car,
                fields={
                    "vin": make_vin(rng),
                    "engine_no": "E1",
                    "model": "明锐",
                    "color": "白",
                    "sales_consultant": "王磊",
                    "purchase_date": "2026-01-02",
                    "sales_channel": "展厅",
                    "plated_by_dealer": True,
                    "delivery_date": "2026-01-05",
                },
            )
            if i == customers // 2:
                items = list(car.items.all())
                Document.objects.bulk_create(
                    Document(
                        dossier=dossier,
                        checklist_item=items[n % len(items)],
                        piece_number=n + 1,
                        title=f"文件 {n + 1}",
                        carrier="paper_copy",
                    )
                    for n in range(50)
                )
                # The rest of the documents (the lists' tenth page: issue 29 compares the
                # documents list at 2,000 documents), spread over the other dossiers below.
                probe.update(
                    dossier=dossier.pk,
                    name=name,
                    mobile=mobile[3:9],
                    id_tail=id_number[-4:],
                    number=dossier.archive_number,
                )
        extra = max(0, documents - 50)
        dossier_ids = list(
            car.dossiers.exclude(pk=probe["dossier"]).values_list("pk", flat=True)[:500]
        )
        first_item = car.items.order_by("position").first()
        Document.objects.bulk_create(
            Document(
                dossier_id=dossier_ids[n % len(dossier_ids)],
                checklist_item=first_item,
                piece_number=n // len(dossier_ids) + 1,
                title=f"补充文件 {n + 1}",
                carrier="paper_copy",
            )
            for n in range(extra)
        )
    return probe


def measure(port: int, cookie: str, path: str, n: int) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, (path, response.status)
    conn.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", default="", help="only the cases whose label has this")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="dangan-bench-")
    os.environ["DANGAN_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
    sys.path.insert(0, str(ROOT))
    from dangan import config

    config.create_secrets(Path(data_dir))  # as `dangan init` does: the server needs them
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    probe = build(args.customers, args.documents)
    print(
        f"data: {args.customers} customers/dossiers, {max(args.documents, 50)} documents,"
        f" built in {time.perf_counter() - started:.0f}s"
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dangan.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-worker",
        ],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=open(Path(data_dir) / "server.log", "wb"),  # noqa: SIM115
        cwd=ROOT,
    )
    try:
        for _ in range(600):  # a loaded machine starts gunicorn slowly
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit((Path(data_dir) / "server.log").read_text()[-3000:])
                time.sleep(0.2)
        cookie = login(port, "bench", "Bench-2026!")
        from urllib.parse import quote

        cases = [
            ("dossier page, 50 documents", f"/dossiers/{probe['dossier']}/"),
            ("search: name", f"/customers/?q={quote(str(probe['name']))}"),
            ("search: 6 phone digits", f"/customers/?q={probe['mobile']}"),
            ("search: ID last 4", f"/customers/?q={probe['id_tail']}"),
            ("search: archive number", f"/customers/?q={probe['number']}"),
            ("search box: name", f"/search/?q={quote(str(probe['name']))}"),
            ("search box: phone digits", f"/search/?q={probe['mobile']}"),
            ("search box: ID last 4", f"/search/?q={probe['id_tail']}"),
            ("search box: archive number", f"/search/?q={probe['number']}"),
            ("api search: name", f"/api/v1/search/?q={quote(str(probe['name']))}"),
            ("home page", "/"),
            ("customer list page", "/customers/"),
            # The plain lists (issue 29: 50-75 ms for one row, where a search costs ~8;
            # ?page_size= was then ignored, and answered 50 rows).
            ("api customers, page_size=1", "/api/v1/customers/?page_size=1"),
            ("api customers, limit=1", "/api/v1/customers/?limit=1"),
            ("api customers, 50 rows", "/api/v1/customers/"),
            ("api dossiers, 1 row", "/api/v1/dossiers/?limit=1"),
            ("api dossiers, page 10", "/api/v1/dossiers/?limit=50&offset=450"),
            ("api documents, page_size=1", "/api/v1/documents/?page_size=1"),
            ("api documents, limit=1", "/api/v1/documents/?limit=1"),
            ("api documents, 50 rows", "/api/v1/documents/"),
            ("api documents, page 10", "/api/v1/documents/?limit=50&offset=450"),
            ("api loans", "/api/v1/loans/"),
            ("api findings", "/api/v1/findings/"),
            ("api handovers", "/api/v1/handovers/"),
        ]
        for label, path in cases:
            if args.only and args.only not in label:
                continue
            measure(port, cookie, path, 10)  # warm up
            p50, p95 = measure(port, cookie, path, args.requests)
            print(f"{label:28} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
