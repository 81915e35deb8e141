"""The refused rows of a job, to download, mend and import again (#29): the sheet's
own columns with their values, and a 错误原因 column.

The values are taken from the sheet when the job ends (the sheet itself is not kept
after an import) and kept with the job encrypted (store.seal): they hold ID numbers,
which must not lie in clear in the database or anywhere under the data dir (#22).
"""

from __future__ import annotations

import datetime
from typing import IO, Any

from django.utils.translation import gettext as _

from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.core import xlsx
from dangan.core.errors import ApplicationError
from dangan.importer import readers
from dangan.importer.models import ImportJob
from dangan.importer.services import store
from dangan.importer.services.jobs import job_for

# Refused rows kept per job: beyond this the sheet was not worth mending row by row.
MAX_REFUSED = 20_000


def _reason(row: dict[str, Any]) -> str:
    errors = row.get("errors", [])
    return ";".join(
        f"{e['field']}:{e['message']}" if e.get("field") else e["message"] for e in errors
    )


def _value(value: Any) -> Any:
    """A cell value JSON keeps: dates as ISO text, whole floats as integers."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def keep(job: ImportJob, content: bytes) -> tuple[str, dict[str, int]]:
    """The job's refused rows with their sheet values, sealed ("" if none), and its
    skipped rows counted by reason (Skipped.BLANK, Skipped.TOTAL)."""
    reasons: dict[int, str] = {}
    skipped: dict[str, int] = {}
    for row in job.row_reports():
        if row.get("status") == "error" and len(reasons) < MAX_REFUSED:
            reasons[row["row"]] = _reason(row)
        elif row.get("status") == "skipped":
            skipped[row.get("reason", "")] = skipped.get(row.get("reason", ""), 0) + 1
    if not reasons:
        return "", skipped
    sheet = readers.open_sheet(content, job.original_name)
    rows = [
        [number, [_value(v) for v in values], reasons[number]]
        for number, values in sheet.rows
        if number in reasons
    ]
    return store.seal({"headers": sheet.headers, "rows": rows}), skipped


def refused_xlsx(*, actor: User, job: ImportJob) -> tuple[IO[bytes], int]:
    """The refused rows of the actor's own job as a workbook: the original columns and
    错误原因 (with the row's number in the sheet). Audited as an export."""
    job = job_for(actor, job.pk)
    if job.status != ImportJob.Status.DONE:
        raise ApplicationError(_("导入完成后才能下载错误行"))
    kept = store.unseal(job.refused) if job.refused else {"headers": [], "rows": []}
    headers = [*kept["headers"], _("错误原因")]
    width = len(kept["headers"])
    rows = [
        [*values[:width], *[""] * (width - len(values)), _("第 %(row)s 行:") % {"row": n} + reason]
        for n, values, reason in kept["rows"]
    ]
    out, counts = xlsx.workbook_file([xlsx.Sheet(_("错误行"), headers, rows)])
    audit_record(
        actor=actor,
        action="export",
        obj=job,
        detail={"format": "xlsx", "what": "refused_rows", "rows": counts[0]},
    )
    return out, counts[0]
