"""Search latency through the HTTP stack on a data set made by generate.py.

Starts `dangan serve` (gunicorn) on a free loopback port against the database the usual
settings name, logs in as the archivist and as an account manager from the probe, and
times `GET /api/v1/search/?q=` and the search page `/search/?q=` for each kind of query,
cycling through the probe's sample values (keep-alive connection, after a warm-up).

    DANGAN_DATA_DIR=/work/benchdata/sqlite .venv/bin/python benchmarks/search_latency.py \
        [--requests 200] [--kinds name_full,vin] [--users bench,am01] [--endpoints api,ui]

Targets (SPEC §6): p50 ≤ 15 ms and p95 ≤ 50 ms for identifier and name queries, p95 ≤
150 ms for document text. Prints a table and writes it as JSON beside the probe
(search_latency_<database>.json in the data dir) or to --out.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchcommon import ROOT, database_label, free_port, login, probe_path, setup_django

# (probe key, label, target kind): "id" = p50 ≤ 15 ms and p95 ≤ 50 ms, "text" = p95 ≤ 150.
GIT = shutil.which("git") or "git"
KINDS = (
    ("name_full", "full name", "id"),
    ("name_2char", "2-char common name", "id"),
    ("pinyin_initials", "pinyin initials", "id"),
    ("phone4", "phone 4 digits", "id"),
    ("mobile_full", "full mobile", "id"),
    ("id_full", "ID number", "id"),
    ("id_last4", "ID last 4", "id"),
    ("id_last5", "ID last 5", "id"),
    ("id_last6", "ID last 6", "id"),
    ("archive_number", "archive number", "id"),
    ("vin", "VIN", "id"),
    ("vin_last6", "VIN last 6", "id"),
    ("unit", "unit (3-1203)", "id"),
    ("member_no", "member number", "id"),
    ("text_word", "document-text word", "text"),
    ("text_word_rare", "rare text word", "text"),
    ("title_word", "title word", "text"),
)
ENDPOINTS = {"api": "/api/v1/search/?q=", "ui": "/search/?q="}


class Client:
    """One keep-alive connection; reconnects if the server closed it between requests."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path: str) -> tuple[float, int, bytes]:
        """(milliseconds, status, body); status 0 when the server dropped the request (a
        gunicorn worker killed at its 120 s timeout)."""
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.conn.request("GET", path, headers={"Cookie": self.cookie})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()  # gunicorn's sync workers close after each response
                return (time.perf_counter() - start) * 1000, response.status, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 2 or time.perf_counter() - start > 1:
                    break  # a stale keep-alive connection is retried once, a dead server not
        return (time.perf_counter() - start) * 1000, 0, b""

    def close(self) -> None:
        self.conn.close()


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[max(int(len(ordered) * share) - 1, 0)]


def measure_case(
    client: Client, prefix: str, values: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    paths = [prefix + quote(v) for v in values]
    hits: list[int] = []
    failures: list[str] = []
    started = time.perf_counter()

    def over(share: float) -> bool:
        return time.perf_counter() - started > args.case_seconds * share

    # Untimed: every sample once (the API's answers give the hit counts), then a warm-up;
    # both cut short for a slow kind of query, whose timed part is capped below.
    for path in paths:
        ms, status, body = client.get(path)
        if status != 200:
            failures.append(f"{status} after {ms / 1000:.0f} s")
            break
        if prefix.startswith("/api/"):
            hits.append(int(json.loads(body)["total"]))
        if over(1 / 3):
            break
    for n in range(args.warmup):
        if over(1 / 3) or failures:
            break
        client.get(paths[n % len(paths)])
    times: list[float] = []
    started = time.perf_counter()
    for n in range(0 if failures else args.requests):
        ms, status, _body = client.get(paths[n % len(paths)])
        if status != 200:
            failures.append(f"{status} after {ms / 1000:.0f} s")
            break
        times.append(ms)
        if over(1) and len(times) >= args.min_requests:
            break
    row: dict[str, Any] = {
        "n": len(times),
        "p50": round(statistics.median(times), 1) if times else None,
        "p95": round(percentile(times, 0.95), 1) if times else None,
        "max": round(max(times), 1) if times else None,
        "hits_median": statistics.median(hits) if hits else None,
        "samples": len(values),
        "hits_sampled": len(hits),
    }
    if failures:
        row["failure"] = failures[0]
    return row


def verdict(target: str, p50: float | None, p95: float | None) -> str:
    if p50 is None or p95 is None:
        return "FAILED"
    if target == "id":
        return "ok" if p50 <= 15 and p95 <= 50 else "MISS"
    return "ok" if p95 <= 150 else "MISS"


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dangan.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--no-worker"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            env={**os.environ},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped (exit {server.returncode}); see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit(f"the server did not start within 120 s; see {log}")


def save(
    out: Path,
    probe: dict[str, Any],
    args: argparse.Namespace,
    version: str,
    load_before: float,
    results: list[dict[str, Any]],
    load_after: float | None = None,
) -> None:
    """Written after every case, so an interrupted run keeps what it measured."""
    document = {
        "database": probe["database"],
        "customers": probe["customers"],
        "measured_at": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
        "code": version,
        "load_average": [
            round(load_before, 2),
            None if load_after is None else round(load_after, 2),
        ],
        "requests": args.requests,
        "workers": args.workers,
        "complete": load_after is not None,
        "results": results,
    }
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1))


def markdown(document: dict[str, Any]) -> str:
    """A results file as a Markdown table: one row per kind, p50 / p95 per user and endpoint."""
    cases = [(r["user"], r["endpoint"]) for r in document["results"]]
    columns = list(dict.fromkeys(cases))
    by_key = {(r["kind"], r["user"], r["endpoint"]): r for r in document["results"]}
    head = "| query | " + " | ".join(f"{u} {e}" for u, e in columns) + " | hits (bench) |"
    lines = [head, "|---" * (len(columns) + 2) + "|"]
    for key, label, _target in KINDS:
        cells = []
        for user, endpoint in columns:
            row = by_key.get((key, user, endpoint))
            if row is None:
                cells.append("—")
            elif row["p50"] is None:
                cells.append(f"failed ({row.get('failure', '')})")
            else:
                mark = "" if row["verdict"] == "ok" else " ✗"
                cells.append(f"{row['p50']:.0f} / {row['p95']:.0f}{mark}")
        if all(c == "—" for c in cells):
            continue
        hits = next(
            (
                r["hits_median"]
                for (k, _u, e), r in by_key.items()
                if k == key and e == "api" and r["hits_median"] is not None
            ),
            None,
        )
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {'' if hits is None else f'{hits:,.0f}'} |"
        )
    return "\n".join(lines)


def code_version() -> str:
    """The commit measured, marked "+dirty" when the work tree has changes under dangan/."""
    try:
        head = subprocess.run(
            [GIT, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            [GIT, "status", "--porcelain", "dangan"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + ("+dirty" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per case")
    parser.add_argument("--kinds", default="", help="comma-separated probe keys (default all)")
    parser.add_argument("--users", default="", help="comma-separated usernames (default both)")
    parser.add_argument("--endpoints", default="api,ui", help="api, ui or both")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=60,
        help="stop a case after this long once --min-requests are timed (slow queries)",
    )
    parser.add_argument("--min-requests", type=int, default=10)
    parser.add_argument("--probe", default="", help="probe file (default: the data dir's)")
    parser.add_argument("--out", default="", help="JSON result file")
    parser.add_argument(
        "--markdown", default="", help="print this results file as a Markdown table and stop"
    )
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return 0
    # A terminated run stops its server too (the finally clause below).
    signal.signal(signal.SIGTERM, lambda _signo, _frame: sys.exit(143))
    setup_django()
    path = Path(args.probe) if args.probe else probe_path()
    if not path.exists():
        sys.exit(f"no probe at {path}: run benchmarks/generate.py first")
    probe = json.loads(path.read_text())
    users = {u["username"]: u["password"] for u in probe["users"].values()}
    wanted_users = [u for u in args.users.split(",") if u] or list(users)
    wanted_kinds = [k for k in args.kinds.split(",") if k] or [k for k, _l, _t in KINDS]
    endpoints = [e for e in args.endpoints.split(",") if e]
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="dangan-search-latency-")) / "server.log"
    server_started = time.perf_counter()
    server = start_server(port, args.workers, log)
    version = code_version()
    load_before = os.getloadavg()[0]
    print(
        f"{probe['database']}: {probe['customers']:,} customers; code {version}; server on "
        f":{port} ({args.workers} workers) up in {time.perf_counter() - server_started:.0f} s; "
        f"{args.requests} requests per case; load average {load_before:.1f}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    out = Path(args.out) if args.out else path.parent / f"search_latency_{database_label()}.json"
    header = f"{'query':22} {'user':6} {'endpoint':8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header + f" {'n':>4} {'hits':>7}  target")
    try:
        clients = {u: Client(port, login(port, u, users[u])) for u in wanted_users}
        for key, label, target in KINDS:
            if key not in wanted_kinds:
                continue
            for username in wanted_users:
                values = probe["samples"].get(username, {}).get(key) or []
                if not values:
                    continue
                for endpoint in endpoints:
                    row = measure_case(clients[username], ENDPOINTS[endpoint], values, args)
                    row.update(kind=key, label=label, user=username, endpoint=endpoint)
                    row["verdict"] = verdict(target, row["p50"], row["p95"])
                    results.append(row)
                    save(out, probe, args, version, load_before, results)
                    hits = "" if row["hits_median"] is None else f"{row['hits_median']:,.0f}"
                    numbers = " ".join(
                        f"{row[k]:8.1f}" if row[k] is not None else f"{'-':>8}"
                        for k in ("p50", "p95", "max")
                    )
                    print(
                        f"{label:22} {username:6} {endpoint:8} {numbers} {row['n']:4} "
                        f"{hits:>7}  {row['verdict']} {row.get('failure', '')}".rstrip(),
                        flush=True,
                    )
        for client in clients.values():
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_after = os.getloadavg()[0]
    print(
        f"load average at the end {load_after:.1f} (2 cores; the server and this client use both)"
    )
    save(out, probe, args, version, load_before, results, load_after)
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
