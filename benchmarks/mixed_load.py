# ruff: noqa: E501, S607 - a benchmark script: an embedded Django snippet, pg tools
"""Mixed load (#22 item 9; SPEC §6 target on the 2-core reference machine: 300 req/s,
0 errors, 0 "database is locked").

Builds the demo data set in a throw-away data dir (`dangan demo --per-type N`; add
DANGAN_DATABASE_URL=postgres://…/dangan_load for PostgreSQL: the database is recreated),
starts `dangan serve --no-worker` on a free 127.0.0.1 port, and runs --clients clients
(threads in --procs processes, keep-alive connections) for --seconds, each looping over a
weighted mix:

  search page (/search/?q=)        30   archivist's session
  search API (/api/v1/search/)     15   archivist's token
  dossier page (/dossiers/N/)      30   archivist's session
  upload (POST /api/v1/documents/)  10  archivist's token, a new small PNG each time
  approval                          15  customer service asks to view a dossier (POST
                                         /api/v1/access-requests/), its department
                                         manager and the archivist approve (POST …/approve/)

Prints req/s, p50/p95 per kind and overall, errors by status, and the "database is
locked" lines of the server's log.

Usage: python benchmarks/mixed_load.py [--seconds 60] [--clients 50] [--workers 3]
       [--per-type 20] [--procs 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchcommon import free_port, login  # noqa: E402

PASSWORD = "Dangan-2026"  # noqa: S105 - the published demo password
WEIGHTS = {"search_page": 30, "search_api": 15, "dossier_page": 30, "upload": 10, "approval": 15}
QUERIES = ["王", "李", "张伟", "138", "RE-", "CAR", "合同", "刘", "陈静", "2026"]


def png(seed: int) -> bytes:
    """A distinct 8×8 PNG (so each upload stores new bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes((seed + x + y) % 256 for x in range(24)) for y in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _ticks(pid: int) -> int:
    """CPU time of a process so far (user + system), in clock ticks; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving `database` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds of the server's workers and of the database's backends over a run
    (a backend that ends during the run is not counted: keep-alive connections stay)."""

    def __init__(self, server: int, database: str) -> None:
        self.server, self.database = server, database
        self.tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, dict[int, int]]:
        workers = {pid: _ticks(pid) for pid in _children(self.server)}
        backends = {pid: _ticks(pid) for pid in _backends(self.database)} if self.database else {}
        return {"server": workers, "database": backends}

    def since(self, before: dict[str, dict[int, int]]) -> dict[str, float]:
        after = self.sample()
        return {
            part: sum(t - before[part].get(pid, 0) for pid, t in after[part].items()) / self.tick
            for part in after
        }


def prepare(env: dict[str, str], per_type: int) -> dict[str, Any]:
    """Demo data, API tokens and the ids the clients use (in a child process: the
    settings must come from env)."""
    subprocess.run(
        [sys.executable, "-m", "dangan.cli", "demo", "--per-type", str(per_type)],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    code = """
import json, django
django.setup()
from dangan.accounts.models import User
from dangan.accounts.services import token_create
from dangan.archives.models import Dossier
from dangan.documents.models import Document
users = {u.username: u for u in User.objects.all()}
clerk, service = users["clerk"], users["service"]
print(json.dumps({
  "tokens": {n: token_create(actor=None, user=users[n], name="load") for n in ("clerk", "service", "manager1")},
  # Ordinary ones: a request for a secret dossier must end the same day (refused: 400).
  "dossiers": list(Dossier.objects.filter(customer__department__name="销售一部", confidentiality="normal").values_list("pk", flat=True)[:500])
              or list(Dossier.objects.filter(confidentiality="normal").values_list("pk", flat=True)[:500]),
  "all_dossiers": list(Dossier.objects.values_list("pk", flat=True)[:2000]),
}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "dangan.settings"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Client:
    def __init__(self, port: int, setup: dict[str, Any], session: str, seed: int) -> None:
        self.port, self.setup, self.session = port, setup, session
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.seed = seed * 100000

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    return 599, b""
        return 599, b""

    def token(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.setup['tokens'][user]}"}

    def one(self, kind: str) -> list[tuple[str, float, int]]:
        rng, results = self.rng, []

        def timed(label: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
            started = time.perf_counter()
            status, body = self.call(*args, **kwargs)
            results.append((label, time.perf_counter() - started, status))
            return status, body

        cookie = {"Cookie": self.session}
        if kind == "search_page":
            timed(kind, "GET", "/search/?q=" + _quote(rng.choice(QUERIES)), headers=cookie)
        elif kind == "search_api":
            timed(
                kind,
                "GET",
                "/api/v1/search/?q=" + _quote(rng.choice(QUERIES)),
                headers=self.token("clerk"),
            )
        elif kind == "dossier_page":
            timed(
                kind, "GET", f"/dossiers/{rng.choice(self.setup['all_dossiers'])}/", headers=cookie
            )
        elif kind == "upload":
            self.seed += 1
            boundary = "----danganload"
            dossier = rng.choice(self.setup["all_dossiers"])
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="dossier"\r\n\r\n{dossier}\r\n',
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n负载测试扫描件\r\n',
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.png"\r\n'
                "Content-Type: image/png\r\n\r\n",
            ]
            body = "".join(parts).encode() + png(self.seed) + f"\r\n--{boundary}--\r\n".encode()
            headers = self.token("clerk") | {
                "Content-Type": f"multipart/form-data; boundary={boundary}"
            }
            timed(kind, "POST", "/api/v1/documents/", body=body, headers=headers)
        else:
            until = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(time.time() + 86400))
            body = json.dumps(
                {
                    "kind": "view",
                    "dossier": rng.choice(self.setup["dossiers"]),
                    "purpose": "核对合同(负载测试)",
                    "until": until,
                }
            ).encode()
            json_headers = {"Content-Type": "application/json"}
            status, answer = timed(
                "approval",
                "POST",
                "/api/v1/access-requests/",
                body=body,
                headers=self.token("service") | json_headers,
            )
            if status == 201:
                pk = json.loads(answer)["id"]
                for user in ("manager1", "clerk"):
                    status, answer = timed(
                        "approval",
                        "POST",
                        f"/api/v1/access-requests/{pk}/approve/",
                        body=b"{}",
                        headers=self.token(user) | json_headers,
                    )
                    if status != 200 or json.loads(answer).get("status") == "approved":
                        break
        return results


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def worker(
    port: int,
    setup: dict[str, Any],
    session: str,
    threads: int,
    seconds: float,
    seed: int,
    queue: Any,
) -> None:
    deadline = time.monotonic() + seconds
    kinds = [k for k, w in WEIGHTS.items() for _ in range(w)]
    collected: list[tuple[str, float, int]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        client = Client(port, setup, session, seed * 1000 + n)
        mine = []
        while time.monotonic() < deadline:
            mine.extend(client.one(client.rng.choice(kinds)))
        with lock:
            collected.extend(mine)

    cpu = time.process_time()
    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((collected, time.process_time() - cpu))


def report(results: list[tuple[str, float, int]], seconds: float, log: str) -> None:
    def line(label: str, rows: list[tuple[str, float, int]]) -> str:
        times = sorted(r[1] * 1000 for r in rows)
        errors = sum(1 for r in rows if r[2] >= 400)
        p95 = times[int(len(times) * 0.95) - 1] if times else 0
        return (
            f"{label:<14}{len(rows):>7}{len(rows) / seconds:>9.1f}"
            f"{statistics.median(times) if times else 0:>9.1f}{p95:>9.1f}{errors:>8}"
        )

    print(f"{'kind':<14}{'requests':>7}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for kind in WEIGHTS:
        print(line(kind, [r for r in results if r[0] == kind]))
    print(line("all", results))
    statuses: dict[int, int] = {}
    for r in results:
        if r[2] >= 400:
            statuses[r[2]] = statuses.get(r[2], 0) + 1
    print(f"errors by status: {statuses or 'none'}")
    print(f'"database is locked" in the server log: {log.count("database is locked")}')


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--per-type", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=10, help="seconds, not counted")
    parser.add_argument("--only", choices=list(WEIGHTS), help="one kind of request, to profile it")
    args = parser.parse_args()
    if args.only:
        for kind in list(WEIGHTS):
            if kind != args.only:
                del WEIGHTS[kind]
    data = tempfile.mkdtemp(prefix="dangan-load-")
    env = {**os.environ, "DANGAN_DATA_DIR": data, "DANGAN_STATIC_PLAIN": "0"}
    url = env.get("DANGAN_DATABASE_URL", "")
    if url:
        name = url.rsplit("/", 1)[1]
        subprocess.run(
            ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=False
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    started = time.monotonic()
    setup = prepare(env, args.per_type)
    print(
        f"data: demo --per-type {args.per_type}: {len(setup['all_dossiers'])} dossiers "
        f"({time.monotonic() - started:.0f} s to build); database: {'PostgreSQL' if url else 'SQLite'}"
    )
    port = free_port()
    log_path = Path(data) / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dangan.cli",
                "serve",
                "--no-worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        session = login(port, "clerk", PASSWORD)
        per_proc = [
            args.clients // args.procs + (1 if i < args.clients % args.procs else 0)
            for i in range(args.procs)
        ]

        def run(seconds: float, seed: int) -> tuple[list[tuple[str, float, int]], float, float]:
            queue: Any = multiprocessing.Queue()
            procs = [
                multiprocessing.Process(
                    target=worker, args=(port, setup, session, n, seconds, seed + i, queue)
                )
                for i, n in enumerate(per_proc)
            ]
            t0 = time.monotonic()
            for p in procs:
                p.start()
            results: list[tuple[str, float, int]] = []
            client_cpu = 0.0
            for _ in procs:
                rows, cpu = queue.get()
                results.extend(rows)
                client_cpu += cpu
            for p in procs:
                p.join()
            return results, time.monotonic() - t0, client_cpu

        if args.warmup:
            run(args.warmup, 100)  # every server process loaded and its caches warm
        print(
            f"{args.clients} clients in {args.procs} processes for {args.seconds:.0f} s "
            f"(after {args.warmup:.0f} s of warm-up); server: {args.workers} workers × "
            f"{args.threads} threads; load average before {os.getloadavg()[0]:.1f}"
        )
        log_mark = log_path.stat().st_size
        meter = CpuMeter(server.pid, url.rsplit("/", 1)[1] if url else "")
        cpu_before = meter.sample()
        results, elapsed, client_cpu = run(args.seconds, 0)
        cpu = meter.since(cpu_before) | {"clients": client_cpu}
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(results, elapsed, log_path.read_bytes()[log_mark:].decode(errors="replace"))
    # What limits it per core: CPU seconds each request cost, by part (on a machine of
    # N cores the ceiling is about N / the total, whatever the number of clients).
    n = max(len(results), 1)
    parts = ", ".join(f"{part} {seconds / n * 1000:.1f}" for part, seconds in cpu.items())
    total = sum(cpu.values()) / n * 1000
    print(
        f"CPU ms per request: {parts}; total {total:.1f} "
        f"(ceiling on this machine's {os.cpu_count()} cores: {os.cpu_count() * 1000 / total:.0f} req/s)"
    )
    print(f"load average after {os.getloadavg()[0]:.1f}; data dir {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
