from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.backups import services
from dangan.backups.models import BackupRun
from dangan.backups.tasks import backup_enqueue
from dangan.core.http import actor_of


def run_out(run: BackupRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "trigger": run.trigger,
        "state": run.state,
        "requested_by": run.requested_by.username if run.requested_by else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "path": run.path,
        "size": run.size,
        "records": run.records,
        "files": run.files,
        "audit_head": {"seq": run.audit_seq, "hash": run.audit_hash} if run.audit_hash else None,
        "error": run.error,
    }


class BackupListApi(APIView):
    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        """Backup runs, newest first (the system administrator)."""
        runs = services.backup_list(actor=actor_of(request))
        return Response({"results": [run_out(r) for r in runs]})

    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request) -> Response:
        """Ask for a backup now: queued for the background worker."""
        run = services.backup_request(actor=actor_of(request))
        backup_enqueue(run)
        return Response(run_out(run), status=status.HTTP_202_ACCEPTED)
