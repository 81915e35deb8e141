from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives import company, lifecycle, selectors, services
from dangan.archives.checklist import Checklist, dossier_checklist
from dangan.archives.forms import (
    ArchiveTypeForm,
    ChecklistItemForm,
    DocumentUploadForm,
    DossierCreateForm,
    DossierEditForm,
    DossierFilterForm,
    LocationForm,
    condition_text,
)
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.changes import control
from dangan.changes import selectors as change_selectors
from dangan.changes.models import ChangeRequest
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, add_form_error, app_errors, attempt, is_htmx
from dangan.documents import services as document_services
from dangan.paper.printing import DOSSIER_FORMS


@login_required
@app_errors
def dossier_create(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """GET (htmx): the selected type's custom fields. POST: open the dossier."""
    customer = policy.access_customer(request.user, customer_pk)
    policy.require(request.user, perms.DOSSIER_CREATE)
    type_id = request.POST.get("archive_type") or request.GET.get("archive_type")
    archive_type = (
        ArchiveType.objects.filter(pk=type_id, is_active=True).first()
        if (type_id and type_id.isdigit())
        else None
    )
    form = DossierCreateForm(
        request.POST if request.method == "POST" else None,
        customer=customer,
        archive_type=archive_type,
        initial={"archive_type": archive_type},
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier = services.dossier_create(
                actor=actor_of(request),
                customer=customer,
                archive_type=form.cleaned_data["archive_type"],
                fields=form.custom_values(),
                title=form.cleaned_data["title"],
                confidentiality=form.cleaned_data["confidentiality"],
                volume_year=form.cleaned_data["volume_year"],
            )
        except ApplicationError as exc:
            _add_dossier_error(form, exc)
        else:
            messages.success(request, _("已建档,档号 %(n)s") % {"n": dossier.archive_number})
            return redirect("archives:dossier", dossier.pk)
    template = "archives/dossier_create.html"
    if is_htmx(request) and request.method == "GET":
        template += "#custom-fields"
    return render(request, template, {"form": form, "customer": customer, "section": "customers"})


def _add_dossier_error(form: DossierCreateForm | DossierEditForm, exc: ApplicationError) -> None:
    for field, errors in exc.as_dict().items():
        name = "f_" + field.removeprefix("fields.") if field.startswith("fields.") else field
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


@login_required
@app_errors
def dossier_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.DOSSIER_VIEW)
    form = DossierFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.dossier_list(request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    placed = bool(filters.get("archive_type") and filters["archive_type"].placement)
    return render(
        request,
        "archives/dossier_list.html",
        {
            "form": form,
            "page": page,
            "placed": placed,
            "print_forms": [(key, label) for key, label in DOSSIER_FORMS.items()],
            "section": "dossiers",
            "company_types": company.company_types(),
        },
    )


@login_required
@app_errors
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = services.dossier_open(actor=actor_of(request), pk=pk)
    return _render_dossier(request, dossier)


def _render_dossier(
    request: HttpRequest,
    dossier: Dossier,
    *,
    upload_form: DocumentUploadForm | None = None,
    location_form: LocationForm | None = None,
    template: str = "archives/dossier_detail.html",
    status: int = 200,
) -> HttpResponse:
    checklist = dossier_checklist(dossier)
    # The status card, its date, the history and the retention line read one list.
    lifecycle.prime_status(dossier)
    user = request.user
    can_upload = policy.has_perm(user, perms.DOCUMENT_UPLOAD)
    can_locate = policy.has_perm(user, perms.DOSSIER_LOCATE)
    can_change = (
        policy.dossiers_for(user, action=perms.DOSSIER_CHANGE).filter(pk=dossier.pk).exists()
    )
    field_labels = {spec["key"]: spec["label"] for spec in dossier.archive_type.field_schema()}
    context = {
        "dossier": dossier,
        "customer": dossier.customer,
        "checklist": checklist,
        "documents": selectors.dossier_documents(dossier, checklist),
        "custom_fields": [
            (field_labels.get(key, key), value) for key, value in (dossier.fields or {}).items()
        ],
        "upload_form": upload_form
        or (_fresh_upload_form(dossier, checklist) if can_upload else None),
        "location_form": location_form
        or (
            LocationForm(
                initial={
                    n.removeprefix("location_"): getattr(dossier, n)
                    for n in Dossier.LOCATION_FIELDS
                }
            )
            if can_locate
            else None
        ),
        "can_download": policy.has_perm(user, perms.FILE_DOWNLOAD),
        # 作废/替换 buttons: on a dossier the user may change, while its paper is in.
        "can_amend": dossier.status not in document_services.FROZEN_STATUSES and can_change,
        "can_supersede": can_upload,
        "can_edit": can_change,
        "history": change_selectors.dossier_history(user, dossier),
        "section": "customers",
    }
    return render(request, template, context, status=status)


def _fresh_upload_form(dossier: Dossier, checklist: Checklist) -> DocumentUploadForm:
    """An empty upload form with the first missing item chosen: the clerk's likely next step."""
    missing = checklist.missing_rows
    initial = {"checklist_item": missing[0].item.pk} if missing else {}
    return DocumentUploadForm(dossier=dossier, initial=initial)


@login_required
@require_POST
@app_errors
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = policy.access_dossier(request.user, pk, action=perms.DOCUMENT_UPLOAD)
    form = DocumentUploadForm(request.POST, request.FILES, dossier=dossier)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document_services.document_add(
                actor=actor_of(request),
                dossier=dossier,
                checklist_item=form.cleaned_data["checklist_item"],
                title=form.cleaned_data["title"],
                responsible=form.cleaned_data["responsible"],
                doc_date=form.cleaned_data["doc_date"],
                pages=form.cleaned_data["pages"],
                carrier=form.cleaned_data["carrier"],
                remarks=form.cleaned_data["remarks"],
                file_name=upload.name if upload else "",
                file_chunks=upload.chunks() if upload else None,
                part=form.cleaned_data.get("part"),
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            item = form.cleaned_data["checklist_item"]
            title = form.cleaned_data["title"] or (item.name if item else "") or upload.name
            messages.success(request, _("文件已归档:%(title)s") % {"title": title})
            if not is_htmx(request):
                return redirect("archives:dossier", dossier.pk)
            form = _fresh_upload_form(dossier, dossier_checklist(dossier))
            template = "archives/dossier_detail.html#dossier-body"
            return _render_dossier(request, dossier, upload_form=form, template=template)
    template = "archives/dossier_detail.html" + ("#dossier-body" if is_htmx(request) else "")
    return _render_dossier(request, dossier, upload_form=form, template=template, status=200)


@login_required
@require_POST
@app_errors
def dossier_locate(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = policy.access_dossier(request.user, pk, action=perms.DOSSIER_LOCATE)
    form = LocationForm(request.POST)
    if form.is_valid():
        try:
            services.dossier_locate(
                actor=actor_of(request), dossier=dossier, location=form.cleaned_data
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("存放位置已更新"))
            return redirect("archives:dossier", dossier.pk)
    return _render_dossier(request, dossier, location_form=form)


@login_required
@app_errors
def dossier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a filed dossier's title, confidentiality and business fields; the type's
    change control says per field whether a reason or an approval is needed."""
    dossier = policy.access_dossier(request.user, pk, action=perms.DOSSIER_CHANGE)
    form = DossierEditForm(request.POST or None, dossier=dossier)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.dossier_update(
                actor=actor_of(request),
                dossier=dossier,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            _add_dossier_error(form, exc)
        else:
            if isinstance(result, ChangeRequest):
                messages.info(
                    request,
                    _("此修改须审批,已提交修改申请 %(n)s,批准后生效") % {"n": result.number},
                )
            else:
                messages.success(request, _("已保存"))
            return redirect("archives:dossier", dossier.pk)
    rules = dossier.archive_type.change_control
    levels = {name: control.dossier_level(rules, name) for name in ("title", "confidentiality")}
    for spec in dossier.archive_type.field_schema():
        levels["f_" + spec["key"]] = control.dossier_level(rules, f"fields.{spec['key']}")
    rows = [
        (form[name], control.LEVEL_LABELS.get(level, ""), level) for name, level in levels.items()
    ]
    return render(
        request,
        "archives/dossier_edit.html",
        {"form": form, "dossier": dossier, "rows": rows, "section": "customers"},
    )


@login_required
@require_POST
@app_errors
def document_void(request: HttpRequest, pk: int) -> HttpResponse:
    """作废, from the reason dialog of the dossier page."""
    document = policy.access_document(request.user, pk)
    policy.access_dossier(request.user, document.dossier_id, action=perms.DOSSIER_CHANGE)
    attempt(
        request,
        lambda: document_services.document_void(
            actor=actor_of(request), document=document, reason=request.POST.get("reason", "")
        ),
        _("文件已作废"),
    )
    return redirect("archives:dossier", document.dossier_id)


@login_required
@require_POST
@app_errors
def document_supersede(request: HttpRequest, pk: int) -> HttpResponse:
    """替换, from the dialog of the dossier page: the new scan and the reason."""
    document = policy.access_document(request.user, pk)
    policy.access_dossier(request.user, document.dossier_id, action=perms.DOSSIER_CHANGE)
    policy.access_dossier(request.user, document.dossier_id, action=perms.DOCUMENT_UPLOAD)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择替换用的扫描件"))
        return redirect("archives:dossier", document.dossier_id)
    attempt(
        request,
        lambda: document_services.document_supersede(
            actor=actor_of(request),
            document=document,
            reason=request.POST.get("reason", ""),
            title=request.POST.get("title", "")[:200],
            file_name=upload.name or "",
            file_chunks=upload.chunks(),
        ),
        _("文件已替换"),
    )
    return redirect("archives:dossier", document.dossier_id)


# --- Archive types -------------------------------------------------------------


@login_required
@app_errors
def type_list(request: HttpRequest) -> HttpResponse:
    policy.require_any(request.user, perms.ARCHIVE_TYPE_MANAGE, perms.DOSSIER_VIEW)
    types = ArchiveType.objects.prefetch_related("items").order_by("id")
    can_see_rules = policy.permissions_of(request.user) & {
        perms.ARCHIVE_TYPE_MANAGE,
        perms.CIRCULATION_MANAGE,
    }
    return render(
        request,
        "archives/type_list.html",
        {"types": types, "section": "types", "can_see_rules": bool(can_see_rules)},
    )


@login_required
@app_errors
def type_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require_any(request.user, perms.ARCHIVE_TYPE_MANAGE, perms.DOSSIER_VIEW)
    archive_type = get_object_or_404(ArchiveType, pk=pk)
    can_manage = policy.has_perm(request.user, perms.ARCHIVE_TYPE_MANAGE)
    type_form = item_form = None
    if can_manage:
        type_form = ArchiveTypeForm(
            request.POST if request.POST.get("form") == "type" else None,
            initial={k: getattr(archive_type, k) for k in ArchiveTypeForm.base_fields},
            variants=archive_type.deadline_variants,
        )
        item_form = ChecklistItemForm(request.POST if request.POST.get("form") == "item" else None)
    if request.method == "POST":
        policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    if request.method == "POST" and type_form is not None and item_form is not None:
        try:
            if request.POST.get("form") == "type" and type_form.is_valid():
                services.archive_type_update(
                    actor=actor_of(request),
                    archive_type=archive_type,
                    changes=type_form.cleaned_data,
                )
                messages.success(request, _("模板已保存"))
                return redirect("archives:type_detail", pk)
            if request.POST.get("form") == "item" and item_form.is_valid():
                services.checklist_item_add(
                    actor=actor_of(request),
                    archive_type=archive_type,
                    data=item_form.service_data(),
                )
                messages.success(request, _("已添加清单项"))
                return redirect("archives:type_detail", pk)
        except ApplicationError as exc:
            add_form_error(type_form if request.POST.get("form") == "type" else item_form, exc)
    items = [(item, condition_text(item.when)) for item in archive_type.items.all()]
    return render(
        request,
        "archives/type_detail.html",
        {
            "archive_type": archive_type,
            "items": items,
            "type_form": type_form,
            "item_form": item_form,
            "can_manage": can_manage,
            "section": "types",
        },
    )


@login_required
@app_errors
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    item = get_object_or_404(ChecklistItem.objects.select_related("archive_type"), pk=pk)
    initial = {k: getattr(item, k) for k in ChecklistItemForm.base_fields if hasattr(item, k)}
    initial["condition"] = condition_text(item.when)
    form = ChecklistItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.checklist_item_update(
                actor=actor_of(request), item=item, data=form.service_data()
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("清单项已保存"))
            return redirect("archives:type_detail", item.archive_type_id)
    return render(
        request, "archives/item_edit.html", {"form": form, "item": item, "section": "types"}
    )


@login_required
@require_POST
@app_errors
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
    item = get_object_or_404(ChecklistItem, pk=pk)
    direction = -1 if request.POST.get("direction") == "up" else 1
    services.checklist_item_move(actor=actor_of(request), item=item, direction=direction)
    return redirect("archives:type_detail", item.archive_type_id)
