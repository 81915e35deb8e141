from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path

from dangan.core.errors import ApplicationError, Forbidden, NotFound
from dangan.core.http import actor_of, app_errors
from dangan.documents import services, storage


def copy_response(copy: services.Copy, *, as_attachment: bool) -> HttpResponse:
    """The watermarked copy, named after the original (extension following its type)."""
    name = copy.attachment.original_name
    extension = mimetypes.guess_extension(copy.content_type) or ""
    if extension and PurePath(name).suffix.lower() != extension:
        name = PurePath(name).stem + extension
    response = HttpResponse(copy.data, content_type=copy.content_type)
    disposition = "attachment" if as_attachment else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{escape_uri_path(name)}"
    response["Cache-Control"] = "no-store"  # a copy is for this user, now
    return response


@login_required
@app_errors
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a scan in the browser, or download it with ?download=1; watermarked either way."""
    try:
        copy = services.attachment_download(actor=actor_of(request), attachment_id=pk)
    except (NotFound, Forbidden):
        raise
    except storage.BlobUnreadable as exc:
        # Never the damaged bytes, never a server error: a page that says what happened.
        return render(
            request,
            "documents/file_unreadable.html",
            {"reason": exc.reason, "message": exc.message},
            status=exc.status_code,
        )
    except ApplicationError as exc:
        # e.g. an encrypted PDF that cannot carry a watermark: no copy leaves unmarked.
        messages.error(request, str(exc.message))
        return redirect(request.headers.get("Referer") or "home")
    return copy_response(copy, as_attachment=request.GET.get("download") == "1")
