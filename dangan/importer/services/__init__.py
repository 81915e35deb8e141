"""Importing customers (and their first dossier of a type) from a sheet.

Every row goes through customer_create / customer_update / dossier_create, so an
imported customer is validated and audited exactly like one typed in. Rows are handled
in batches; a batch, its report and the job's counters commit together, so a crash or
`kill -9` leaves whole batches only and the report names the rows that were committed.
The sheet is read and its cells turned into values in a child process meanwhile
(pipeline.py); everything that decides about a row happens here.

By concern:
- mapping: the fields a column can be imported as, the headers recognised for each;
- store: the uploaded sheet under the data dir;
- jobs: creating, finding, committing and resuming a job;
- parse: a row's cells turned into field values (pure, in the reader's process);
- rows: what a batch's rows describe and change, through the customer and dossier services;
- lanes: two batches at once on PostgreSQL;
- run: running a job batch by batch;
- liveness: whether a running job's process is still alive;
- refused: the refused rows kept (encrypted) to download with their reasons;
- sample: a sample sheet per archive type.

The public names are importable from here.
"""

from __future__ import annotations

from dangan.importer.services.jobs import (
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_job_map,
    import_job_resume,
    job_cancellable,
    job_for,
    job_resumable,
)
from dangan.importer.services.liveness import STALE_AFTER, job_alive
from dangan.importer.services.mapping import (
    IGNORE,
    TARGETS,
    guess_mapping,
    header_key,
    header_signature,
    mapping_override,
    mapping_remember,
    parse_map,
    targets,
    unused_columns,
)
from dangan.importer.services.parse import RowError, Skipped
from dangan.importer.services.refused import refused_xlsx
from dangan.importer.services.run import (
    BATCH_SIZE,
    MAX_BATCH_SIZE,
    OUTCOMES,
    STATISTICS_AFTER,
    Progress,
    batch_size_for,
    import_index_pending,
    import_run,
)
from dangan.importer.services.sample import sample_sheet
from dangan.importer.services.store import file_store, files_purge, job_bytes, job_file

__all__ = [
    "BATCH_SIZE",
    "IGNORE",
    "MAX_BATCH_SIZE",
    "OUTCOMES",
    "STALE_AFTER",
    "STATISTICS_AFTER",
    "TARGETS",
    "Progress",
    "RowError",
    "Skipped",
    "batch_size_for",
    "file_store",
    "files_purge",
    "guess_mapping",
    "header_key",
    "header_signature",
    "import_index_pending",
    "import_job_cancel",
    "import_job_commit",
    "import_job_create",
    "import_job_map",
    "import_job_resume",
    "import_run",
    "job_alive",
    "job_bytes",
    "job_cancellable",
    "job_file",
    "job_for",
    "job_resumable",
    "mapping_override",
    "mapping_remember",
    "parse_map",
    "refused_xlsx",
    "sample_sheet",
    "targets",
    "unused_columns",
]
