"""REST API of the home page, the dashboard and the reminders (issue 26)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import id_param, text_param, valid_input
from dangan.core.errors import ApplicationError, ValidationFailed
from dangan.core.http import actor_of
from dangan.home import charts, services
from dangan.home.reminders import KINDS, reminders_for
from dangan.home.work import work_for


class HomeApi(APIView):
    """What waits for the caller: every kind of work the caller's roles act on, with its
    count and first items (also when there is nothing to do), and the total."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        work = work_for(actor)
        return Response(
            {
                "date": timezone.localdate().isoformat(),
                "total": sum(w.count for w in work),
                "counts": {w.kind: w.count for w in work},
                "work": [w.as_dict() for w in work],
            }
        )


class DashboardApi(APIView):
    """The numbers behind every chart of the dashboard, within the caller's scope."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM (default: five months before `to`)"),
            OpenApiParameter("to", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter("department", int),
            OpenApiParameter("type", int, description="archive type id"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require_any(actor, perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW)
        filters = charts.parse_filters(request.query_params)
        if filters.errors:
            raise ValidationFailed(dict(filters.errors))
        found = charts.dashboard(actor, filters)
        return Response({"filters": filters.as_dict(), "charts": [c.as_dict() for c in found]})


def _date_param(request: Request, key: str) -> datetime.date | None:
    text = text_param(request, key, 10)
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ApplicationError(_("日期格式应为 YYYY-MM-DD"), field=key) from None


class RemindersApi(APIView):
    """Care and follow-up reminders computed for a window that starts today (or `from`),
    `days` long (default 7), in DANGAN_TIME_ZONE. `owner`: whose customers (default the
    caller; `all` for every customer in the caller's scope)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=list(KINDS)),
            OpenApiParameter("from", str, description="YYYY-MM-DD, default today"),
            OpenApiParameter("days", int, description="0–92, default 7"),
            OpenApiParameter("owner", str, description="a user id, or `all`"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CUSTOMER_VIEW)
        kind = text_param(request, "kind", 20)
        if kind and kind not in KINDS:
            raise ApplicationError(_("未知的提醒类型"), field="kind")
        days_text = text_param(request, "days", 3) or "7"
        if not (days_text.isdigit() and 0 <= int(days_text) <= 92):
            raise ApplicationError(_("天数应为 0–92"), field="days")
        start = _date_param(request, "from") or timezone.localdate()
        everyone = request.query_params.get("owner") == "all"
        owner = None
        if not everyone:
            owner_id = id_param(request, "owner")
            if owner_id is not None:
                owner = policy.assignable_owners(actor).filter(pk=owner_id).first()
                if owner is None:
                    raise ApplicationError(_("应为您可查看的客户经理"), field="owner")
        found = reminders_for(
            actor, start=start, days=int(days_text), kind=kind, owner=owner, everyone=everyone
        )
        return Response(
            {
                "from": start.isoformat(),
                "to": (start + datetime.timedelta(days=int(days_text))).isoformat(),
                "count": len(found),
                "results": [r.as_dict() for r in found],
            }
        )


class DoneInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReminderDoneApi(APIView):
    """Mark a reminder done with a note; `id` is the reminder's id from the list."""

    @extend_schema(request=DoneInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, key: str) -> Response:
        actor = actor_of(request)
        data = valid_input(DoneInput, request)
        done = services.reminder_done(actor=actor, key=key, note=data["note"])
        return Response({"id": done.key, "done": True, "note": done.note, "done_at": done.done_at})
