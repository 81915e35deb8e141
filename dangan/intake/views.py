"""Intake pages: findings and 情况说明, a dossier's document facts, the overdue list, the
monthly statement and the working-day calendar. Thin: form → access → service → render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.checklist import dossier_checklist
from dangan.circulation import approvals
from dangan.core.errors import ApplicationError, Forbidden, NotFound
from dangan.core.http import actor_of, add_form_error, app_errors, attempt
from dangan.intake import api, deadlines, selectors, services
from dangan.intake.calendar import Calendar, shipped_years
from dangan.intake.forms import (
    DecisionForm,
    DocumentCheckForm,
    FindingFilterForm,
    FindingRecordForm,
    HolidayForm,
    MonthForm,
    StatementForm,
)
from dangan.intake.models import DocumentCheck, Finding, Holiday
from dangan.intake.penalties import penalty_statement


@login_required
@app_errors
def finding_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_VIEW)
    visible = selectors.findings_for(actor)
    people = User.objects.filter(pk__in=visible.values("responsible_id")).order_by("username")
    form = FindingFilterForm(request.GET or None, people=people)
    params = form.params()
    dossier_id = request.GET.get("dossier", "")
    if dossier_id.isascii() and dossier_id.isdigit() and len(dossier_id) < 19:
        params["dossier"] = dossier_id
    findings = selectors.filter_findings(visible, params).select_related(
        "dossier", "responsible", "document"
    )
    page = Paginator(findings, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "pending": selectors.pending_for(actor),
        "section": "intake",
    }
    return render(request, "intake/finding_list.html", context)


def _render_finding(
    request: HttpRequest, pk: int, *, form: StatementForm | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    finding = selectors.access_finding(actor, pk)
    statements = list(finding.statements.prefetch_related("steps__approver", "steps__department"))
    for statement in statements:
        for step in statement.steps.all():
            step.office = approvals.office(step)  # type: ignore[attr-defined]
            step.escalated_name = approvals.role_name(step.escalated_to)  # type: ignore[attr-defined]
    context = {
        "finding": finding,
        "statements": statements,
        "deciding": {s.pk for s in statements if services.may_decide(actor, s)},
        "form": form or StatementForm(),
        "decision_form": DecisionForm(),
        "section": "intake",
    }
    return render(request, "intake/finding_detail.html", context, status=status)


@login_required
@app_errors
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_finding(request, pk)


@login_required
@require_POST
@app_errors
def finding_fix(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    finding = selectors.access_finding(actor, pk)
    try:
        services.finding_fix(actor=actor, finding=finding)
        messages.success(request, _("已标记为已整改"))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("intake:finding", pk=pk)


@login_required
@require_POST
@app_errors
def statement_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    finding = selectors.access_finding(actor, pk)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            services.statement_submit(actor=actor, finding=finding, text=form.cleaned_data["text"])
            messages.success(request, _("情况说明已提交,等待审批"))
            return redirect("intake:finding", pk=pk)
        except ApplicationError as exc:
            add_form_error(form, exc)
    return _render_finding(request, pk, form=form, status=400)


def _decide(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    actor = actor_of(request)
    statement = selectors.access_statement(actor, pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    decide = services.statement_approve if approve else services.statement_deny
    attempt(
        request,
        lambda: decide(actor=actor, statement=statement, note=note),
        _("已同意") if approve else _("已驳回"),
    )
    return redirect("intake:finding", pk=statement.finding_id)


@login_required
@require_POST
@app_errors
def statement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
@app_errors
def statement_deny(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@login_required
@require_POST
@app_errors
def dossier_audit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    dossier = policy.access_dossier(actor, pk)
    found = services.dossier_audit(actor=actor, dossier=dossier)
    if found:
        messages.warning(request, _("稽核完成:%(n)s 项待整改") % {"n": len(found)})
    else:
        messages.success(request, _("稽核完成:合格"))
    return redirect(reverse("archives:dossier", args=[dossier.pk]) + "#intake")


@login_required
@app_errors
def finding_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The clerk records a non-conformity by hand (联系方式未核实、内部签字缺失、档案袋遗失 …)."""
    actor = actor_of(request)
    dossier = policy.access_dossier(actor, pk, action=perms.INTAKE_AUDIT)
    kinds = [(k, str(Finding.Kind(k).label)) for k in services.RECORDABLE_KINDS]
    data = request.POST if request.method == "POST" else None
    form = FindingRecordForm(data, kinds=kinds, initial={"kind": request.GET.get("kind")})
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                finding = services.finding_record(
                    actor=actor,
                    dossier=dossier,
                    kind=form.cleaned_data["kind"],
                    rule=form.cleaned_data["rule"],
                    detail=form.cleaned_data["detail"],
                )
                messages.success(request, _("已登记:%(k)s") % {"k": finding.get_kind_display()})
                return redirect(reverse("archives:dossier", args=[dossier.pk]) + "#intake")
            except ApplicationError as exc:
                add_form_error(form, exc)
        status = 400
    context = {"dossier": dossier, "form": form, "section": "intake"}
    return render(request, "intake/finding_new.html", context, status=status)


@login_required
@app_errors
def dossier_facts(request: HttpRequest, pk: int) -> HttpResponse:
    """Each document's facts (要素、盖章、签字、份数) as read by the clerk."""
    actor = actor_of(request)
    dossier = policy.access_dossier(actor, pk, action=perms.INTAKE_AUDIT)
    labels = {s.get("key"): s.get("label") for s in dossier.archive_type.field_schema()}
    rules = dossier.archive_type.consistency or []
    checklist = dossier_checklist(dossier)
    documents = [doc for row in checklist.rows for doc in row.documents]
    checks = {c.document_id: c for c in DocumentCheck.objects.filter(document__in=documents)}
    posted = request.POST.get("document") if request.method == "POST" else None
    rows, status = [], 200
    for row in checklist.rows:
        fields = [
            (str(r["field"]), str(labels.get(r["field"]) or _("客户姓名")))
            for r in rules
            if row.item.code in (r.get("documents") or [])
        ]
        for doc in row.documents:
            check = checks.get(doc.pk)
            initial = {
                "stamped": "" if not check or check.stamped is None else str(int(check.stamped)),
                "signed": "" if not check or check.signed is None else str(int(check.signed)),
                "copies": check.copies if check else None,
                **{f"v_{k}": v for k, v in ((check.values if check else {}) or {}).items()},
            }
            bound = posted == str(doc.pk)
            form = DocumentCheckForm(
                request.POST if bound else None,
                initial=initial,
                value_fields=fields,
                prefix=f"d{doc.pk}",
            )
            if bound and form.is_valid():
                try:
                    services.document_check_save(
                        actor=actor,
                        document=doc,
                        values=form.values(),
                        stamped=form.cleaned_data["stamped"],
                        signed=form.cleaned_data["signed"],
                        copies=form.cleaned_data["copies"],
                    )
                    messages.success(request, _("已保存“%(t)s”的要素") % {"t": doc.title})
                    return redirect(reverse("intake:dossier_facts", args=[pk]) + f"#d{doc.pk}")
                except ApplicationError as exc:
                    add_form_error(form, exc)
            if bound:
                status = 400
            rows.append({"item": row.item, "document": doc, "form": form})
    context = {"dossier": dossier, "rows": rows, "section": "intake"}
    return render(request, "intake/dossier_facts.html", context, status=status)


def _month(request: HttpRequest) -> tuple[MonthForm, str]:
    default = timezone.localdate().strftime("%Y-%m")
    form = MonthForm(request.GET if "month" in request.GET else {"month": default})
    month = form.cleaned_data["month"] if form.is_valid() else default
    return form, month


@login_required
@app_errors
def statement(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.INTAKE_STATEMENT)
    form, month = _month(request)
    try:
        result = penalty_statement(month, people=selectors.statement_people(actor))
    except ValueError:
        form.add_error("month", _("月份格式应为 YYYY-MM"))
        month = timezone.localdate().strftime("%Y-%m")
        result = penalty_statement(month, people=selectors.statement_people(actor))
    context = {
        "form": form,
        "month": month,
        "statement": result,
        "can_assess": policy.has_perm(actor, perms.INTAKE_ASSESS),
        "section": "intake",
    }
    return render(request, "intake/statement.html", context)


@login_required
@app_errors
def statement_xlsx(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.INTAKE_STATEMENT)
    _form, month = _month(request)
    try:
        result = penalty_statement(month, people=selectors.statement_people(actor))
    except ValueError:
        raise NotFound(_("月份格式应为 YYYY-MM")) from None
    return api.statement_response(actor, result)


@login_required
@require_POST
@app_errors
def penalties_assess(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    month = request.POST.get("month", "")
    try:
        rows = services.penalties_assess(actor=actor, month=month)
        messages.success(request, _("已核定 %(m)s 罚款 %(n)s 笔") % {"m": month, "n": len(rows)})
    except Forbidden:
        raise  # a 403, not a message
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect(reverse("intake:statement") + f"?month={month[:7]}")


@login_required
@app_errors
def overdue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_VIEW)
    context = {
        "groups": selectors.overdue_by_person(actor),
        "labels": deadlines.STATE_LABELS,
        "section": "intake",
    }
    return render(request, "intake/overdue.html", context)


@login_required
@app_errors
def calendar(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.INTAKE_CALENDAR)
    form = HolidayForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.holiday_set(actor=actor, **form.cleaned_data)
                messages.success(request, _("已保存"))
                return redirect("intake:calendar")
            except ApplicationError as exc:
                add_form_error(form, exc)
        status = 400
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    year = year or timezone.localdate().year
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    cal = Calendar()
    context = {
        "form": form,
        "year": year,
        "days": Holiday.objects.filter(date__gte=start, date__lt=end),
        "shipped": sorted(set(shipped_years()) | {timezone.localdate().year + n for n in (0, 1)}),
        "official": shipped_years(),
        "working_days": sum(
            cal.is_working_day(start + datetime.timedelta(days=n))
            for n in range((end - start).days)
        ),
        "section": "intake",
    }
    return render(request, "intake/calendar.html", context, status=status)


@login_required
@require_POST
@app_errors
def calendar_load(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    year_text = request.POST.get("year", "")
    try:
        year = int(year_text) if year_text.isdigit() else 0
        count = services.calendar_load(actor=actor, year=year)
        messages.success(request, _("已载入 %(y)s 年节假日安排 %(n)s 天") % {"y": year, "n": count})
    except Forbidden:
        raise  # a 403, not a message
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("intake:calendar")


@login_required
@require_POST
@app_errors
def calendar_remove(request: HttpRequest, pk: int) -> HttpResponse:
    holiday = services.holiday_remove(actor=actor_of(request), holiday_id=pk)
    messages.success(request, _("已删除"))
    return redirect(reverse("intake:calendar") + f"?year={holiday.date.year}")
