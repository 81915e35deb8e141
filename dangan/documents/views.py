from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from dangan.core.http import actor_of, app_errors
from dangan.documents import services, storage


@login_required
@app_errors
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a scan inline (view in the browser) or as a download with ?download=1."""
    attachment = services.attachment_download(actor=actor_of(request), attachment_id=pk)
    return FileResponse(
        storage.blob_open(attachment.blob),
        content_type=attachment.blob.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=attachment.original_name,
    )
