"""Fixity throughput against `sha256sum` over the same files (SPEC §6: ≥ 70 %).

Stores N files in a throw-away data dir (Blob rows and content-addressed files, as uploads
leave them), reads them once so both sides hash from the page cache, then times
`sha256sum` over all of them and `fixity_check` (what `dangan verify` and the worker's
scheduled check run), best of --rounds each, with 1 thread and with the default.

Usage: python benchmarks/fixity.py [--files 300] [--kib 800] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(files: int, kib: int) -> list[Path]:
    from django.conf import settings
    from django.core.management import call_command

    from dangan.documents.models import Blob

    call_command("migrate", interactive=False, verbosity=0)
    paths, rows = [], []
    block = os.urandom(64 * 1024)
    for n in range(files):
        data = n.to_bytes(8, "big") + block * (kib // 64) + os.urandom(kib % 64 * 1024)
        sha = hashlib.sha256(data).hexdigest()
        blob = Blob(sha256=sha, size=len(data), content_type="application/pdf")
        path = Path(settings.MEDIA_ROOT) / blob.storage_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
        rows.append(blob)
    Blob.objects.bulk_create(rows)
    return paths


def best(rounds: int, run: object) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--kib", type=int, default=800, help="size of each file in KiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["DANGAN_DATA_DIR"] = tempfile.mkdtemp(prefix="dangan-fixity-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from dangan.documents.fixity import fixity_check, fixity_threads

    paths = build(args.files, args.kib)
    total = sum(p.stat().st_size for p in paths)
    for path in paths:  # into the page cache, for both sides
        path.read_bytes()
    names = [str(p) for p in paths]

    def sha256sum() -> None:
        command = ["sha256sum", *names]  # the coreutils tool is the reference
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def fixity(threads: int) -> None:
        report = fixity_check(threads=threads)
        assert report.ok and report.checked == len(paths), report

    reference = best(args.rounds, sha256sum)
    mib = total / 1024 / 1024
    print(f"{len(paths)} files, {mib:.0f} MiB, load average {os.getloadavg()[0]:.1f}")
    print(f"sha256sum            {mib / reference:8.0f} MiB/s")
    for threads in sorted({1, fixity_threads()}):
        seconds = best(args.rounds, lambda t=threads: fixity(t))
        print(
            f"fixity, {threads} thread(s)  {mib / seconds:8.0f} MiB/s"
            f"  = {reference / seconds:.0%} of sha256sum"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
