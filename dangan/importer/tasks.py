"""Background import (django-tasks): the UI and the API queue a job; `dangan serve`
runs a worker beside the web server that picks it up."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from dangan.importer import services
from dangan.importer.models import ImportJob


@task()
def import_job_run(job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    return services.import_run(job=job).status


def import_job_enqueue(job: ImportJob) -> None:
    """Queue the job once the transaction that created it has committed."""
    transaction.on_commit(lambda: import_job_run.enqueue(job.pk))
