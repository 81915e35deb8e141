"""The import wizard: upload → map columns → dry-run report → commit, with progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import ArchiveType
from dangan.core import xlsx
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, app_errors, attempt
from dangan.importer import readers, services
from dangan.importer.models import ImportJob
from dangan.importer.tasks import import_job_enqueue


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 或 CSV 文件"))
    archive_type = forms.ModelChoiceField(
        label=_("同时建档(可选)"),
        required=False,
        queryset=ArchiveType.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("不建档"),
    )


@login_required
@app_errors
def wizard(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.DATA_IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        atype = form.cleaned_data["archive_type"]
        try:
            job = services.import_job_create(
                actor=actor_of(request),
                upload=form.cleaned_data["file"],
                archive_type=atype.code if atype else "",
                dry_run=True,
            )
        except ApplicationError as exc:
            form.add_error("file", str(exc.message))
        else:
            return redirect("importer:mapping", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=actor_of(request))[:10]
    types = ArchiveType.objects.filter(is_active=True).order_by("code")
    return render(
        request,
        "importer/wizard.html",
        {"form": form, "jobs": jobs, "types": types, "section": "import"},
    )


@login_required
@app_errors
def sample(request: HttpRequest) -> FileResponse:
    """The sample sheet of an archive type (?archive_type=CODE), or of customers only."""
    content, name = services.sample_sheet(
        actor=actor_of(request), archive_type=request.GET.get("archive_type", "")
    )
    return xlsx.response(content, name)


@login_required
@app_errors
def refused(request: HttpRequest, pk: int) -> FileResponse:
    """The job's refused rows with their reasons, to mend and import again."""
    job = services.job_for(actor_of(request), pk)
    out, _count = services.refused_xlsx(actor=actor_of(request), job=job)
    return xlsx.response(out, f"import-{job.pk}-refused.xlsx")


@login_required
@app_errors
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.job_for(actor_of(request), pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("importer:job", pk=job.pk)
    atype = ArchiveType.objects.filter(code=job.archive_type).first()
    sheet = readers.open_sheet(services.job_bytes(job), job.original_name)
    choices = services.targets(atype)
    known = {key for key, _label in choices}
    samples: list[list[Any]] = []
    for _number, values in sheet.rows:
        if any(v not in (None, "") for v in values):
            samples.append(values)
        if len(samples) == 3:
            break
    if request.method == "POST":
        chosen = {}
        for index, header in enumerate(sheet.headers):
            value = request.POST.get(f"col{index}", "")
            chosen[header] = value if value in known else ""
        queued = attempt(
            request,
            lambda: services.import_job_map(actor=actor_of(request), job=job, mapping=chosen),
        )
        if queued is None:
            return redirect("importer:mapping", pk=job.pk)
        import_job_enqueue(queued)
        return redirect("importer:job", pk=job.pk)
    columns = [
        {
            "index": index,
            "header": header,
            "chosen": job.mapping.get(header, ""),
            "samples": [s[index] if index < len(s) else "" for s in samples],
        }
        for index, header in enumerate(sheet.headers)
    ]
    unused = [c["header"] or _("(无表头)") for c in columns if not c["chosen"]]
    return render(
        request,
        "importer/mapping.html",
        {
            "job": job,
            "columns": columns,
            "choices": choices,
            "unused": unused,
            "section": "import",
        },
    )


@login_required
@app_errors
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.job_for(actor_of(request), pk)
    finished = job.status in (
        ImportJob.Status.DONE,
        ImportJob.Status.FAILED,
        ImportJob.Status.CANCELLED,
    )
    context = {
        "job": job,
        "finished": finished,
        "unused": services.unused_columns(job.mapping),
        "skipped": job.report.get("skipped", {}),
        "resumable": services.job_resumable(job),
        "cancellable": services.job_cancellable(job),
        "rows": [r for r in job.row_reports() if r.get("status") not in ("created", "skipped")][
            :2000
        ]
        if finished
        else [],
        "section": "import",
    }
    if request.headers.get("HX-Request") and not finished:
        return render(request, "importer/job.html#progress", context)
    if request.headers.get("HX-Request"):
        # Finished: reload the whole page so the report appears.
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return render(request, "importer/job.html", context)


def _queue(request: HttpRequest, pk: int, start: Callable[..., ImportJob]) -> HttpResponse:
    """Run `start` (commit or resume) on the actor's job, queue the job it returns and
    show it; a refusal is shown on the job's page."""
    job = services.job_for(actor_of(request), pk)
    queued = attempt(request, lambda: start(actor=actor_of(request), job=job))
    if queued is None:
        return redirect("importer:job", pk=job.pk)
    import_job_enqueue(queued)
    return redirect("importer:job", pk=queued.pk)


@login_required
@require_POST
@app_errors
def job_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: import the same file for real."""
    return _queue(request, pk, services.import_job_commit)


@login_required
@require_POST
@app_errors
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Give up a failed or interrupted job, or a dry run: its sheet is deleted."""
    job = services.job_for(actor_of(request), pk)
    attempt(
        request,
        lambda: services.import_job_cancel(actor=actor_of(request), job=job),
        success=_("已取消导入任务,上传的文件已删除"),
    )
    return redirect("importer:job", pk=job.pk)


@login_required
@require_POST
@app_errors
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Go on with a failed or interrupted import after its last committed batch."""
    return _queue(request, pk, services.import_job_resume)
