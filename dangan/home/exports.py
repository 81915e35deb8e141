"""The dashboard's numbers as an Excel workbook: one sheet per chart."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit.services import audit_record
from dangan.home import charts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def dashboard_xlsx(*, actor: User, filters: charts.Filters) -> bytes:
    policy.require(actor, perms.DATA_EXPORT)
    policy.require_any(actor, perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW)
    found = charts.dashboard(actor, filters)
    workbook = Workbook()
    first = workbook.active
    if first is not None:
        workbook.remove(first)
    for index, chart in enumerate(found, start=1):
        sheet = workbook.create_sheet(
            f"{index:02d} {str(chart.title)[:26]}".replace(":", " ").replace("/", " ")
        )
        sheet.append([str(chart.title)])
        sheet.append([_("项目"), _("数值") + (f"({chart.unit})" if str(chart.unit) else "")])
        for label, value in chart.rows:
            sheet.append([label, value])
        if str(chart.note):
            sheet.append([str(chart.note)])
        sheet.freeze_panes = "A3"
        sheet.column_dimensions[get_column_letter(1)].width = 30
        sheet.column_dimensions[get_column_letter(2)].width = 16
    if not found:
        workbook.create_sheet(_("无数据"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(
        actor=actor,
        action="export",
        object_type="dashboard",
        detail={**filters.as_dict(), "charts": len(found)},
    )
    return buffer.getvalue()
