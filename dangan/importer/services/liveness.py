"""Whether the process running an import is still alive (#22).

A running job records its runner: host name, process id and the process's start time
(Linux: /proc/PID/stat, in clock ticks since boot; a process id reused by another
process has another start time). On the same host that answers at once and honestly:
the job is alive exactly while that process is. A job run from another host (several
application servers on one PostgreSQL database) cannot be looked at from here: it
counts as alive until it has made no progress for STALE_AFTER.
"""

from __future__ import annotations

import datetime
import os
import socket
from dataclasses import dataclass

from django.utils import timezone

from dangan.importer.models import ImportJob

# A job run from another host that made no progress this long is taken as dead.
STALE_AFTER = datetime.timedelta(minutes=5)


def _start_time(pid: int) -> str:
    """The process's start time as the kernel gives it, "" where unknown (not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: count after it.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def runner_here() -> str:
    """This process, as a job records its runner: "host pid start"."""
    pid = os.getpid()
    return f"{socket.gethostname()} {pid} {_start_time(pid)}".strip()


@dataclass(frozen=True)
class Runner:
    host: str
    pid: int
    start: str

    @classmethod
    def of(cls, job: ImportJob) -> Runner | None:
        parts = job.runner.split()
        if len(parts) < 2 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "")

    def alive(self) -> bool | None:
        """True or False when it can be told from here (the same host), else None."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, run by another user
        # Another start time: the process id now belongs to another process.
        return not self.start or _start_time(self.pid) in ("", self.start)


def job_alive(job: ImportJob) -> bool:
    """Whether a running job's process still runs it (see the module's docstring)."""
    if job.status != ImportJob.Status.RUNNING:
        return False
    runner = Runner.of(job)
    alive = runner.alive() if runner is not None else None
    if alive is not None:
        return alive
    return job.updated_at >= timezone.now() - STALE_AFTER
