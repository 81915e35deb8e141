"""CPU time and statements of single requests, in process: where the fixed cost of a
request goes, without the server, the network or the other clients.

Runs against the data dir of DANGAN_DATA_DIR (a `dangan demo` data dir, or one made by
generate.py), through Django's test client and the whole middleware stack, as a signed-in
user (a real session row and, for `--token`, a Bearer token):

    python benchmarks/request_cost.py --user clerk [--requests 60] [--rounds 3] \
        [--token] [--profile DIR] PATH [PATH ...]

For each path it prints the CPU milliseconds per request (the median of the rounds, and
each round's mean) and the statements a request sends. `--profile DIR` (pyinstrument, on
sys.path or through PYTHONPATH; not a dependency of Dangan) writes one HTML and text
profile per path, of `--requests` more requests."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchcommon import setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--user", default="clerk")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--token", action="store_true", help="Bearer token, not a session")
    parser.add_argument("--sql", action="store_true", help="print each path's statements")
    parser.add_argument("--profile", default="", help="directory for pyinstrument profiles")
    args = parser.parse_args()
    os.environ.setdefault("DANGAN_STATIC_PLAIN", "1")
    setup_django()

    from django.db import connection
    from django.test import Client

    from dangan.accounts.models import User

    user = User.objects.get(username=args.user)
    headers: dict[str, str] = {}
    client = Client()
    if args.token:
        from dangan.accounts.services import token_create

        token = token_create(actor=user, user=user, name="request_cost")
        headers["Authorization"] = f"Bearer {token}"
    else:
        client.force_login(user)

    load = os.getloadavg()[0]
    print(f"user {args.user}; {args.requests} requests × {args.rounds} rounds a path; "
          f"load average {load:.1f}")  # fmt: skip
    for path in args.paths:
        first = client.get(path, headers=headers)  # warm: imports, caches, compiled SQL
        if first.status_code != 200:
            sys.exit(f"{path}: {first.status_code}")
        connection.force_debug_cursor = True
        client.get(path, headers=headers)  # the log is cleared as a request starts
        queries = list(connection.queries_log)
        connection.force_debug_cursor = False
        if args.sql:
            width = int(os.environ.get("SQL_WIDTH", "300"))
            for query in queries:
                print(f"    {float(query['time']) * 1000:7.2f} ms  {query['sql'][:width]}")
        means, walls = [], []
        for _round in range(args.rounds):
            started, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                client.get(path, headers=headers)
            means.append((time.process_time() - started) * 1000 / args.requests)
            walls.append((time.perf_counter() - wall) * 1000 / args.requests)
        print(
            f"{path}: {statistics.median(means):.2f} ms CPU "
            f"({', '.join(f'{m:.2f}' for m in means)}; wall {statistics.median(walls):.1f}), "
            f"{len(queries)} statements"
        )
        if args.profile:
            profile(client, path, headers, args.requests, Path(args.profile))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def profile(client: object, path: str, headers: dict[str, str], n: int, folder: Path) -> None:
    from pyinstrument import Profiler

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(n):
        client.get(path, headers=headers)  # type: ignore[attr-defined]
    profiler.stop()
    name = "".join(c if c.isalnum() else "_" for c in path).strip("_")[:60] or "root"
    (folder / f"{name}.html").write_text(profiler.output_html())
    (folder / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
