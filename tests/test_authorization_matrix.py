"""The authorization matrix (issue 3 §5, SPEC §6 "every URL and API endpoint checked
against every role and scope").

Every route the URL resolver knows must be declared below with the permissions it
needs and whether it is about one customer's data. The test then calls each route as
each of the roles, against objects that are the caller's own, of the caller's
department, and of another department, and checks that the answer is "allowed"
exactly when the roles (as data) say so. A new route without a declaration fails.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import PASSWORD, PDF_BYTES, another_car, ensure_default_roles
from dangan.accounts import permissions as P
from dangan.accounts.models import Role
from dangan.core.identifiers import make_resident_id

pytestmark = pytest.mark.django_db

RELATIONS = ("own", "dept", "other")


@dataclass(frozen=True)
class Check:
    method: str = "GET"
    needs: tuple[str, ...] = ()  # all of these
    any_of: tuple[str, ...] = ()  # at least one of these
    obj: str = ""  # which object the URL names; "" for none
    scoped: bool = False  # subject to the role's data scope (own/department/all)
    data: dict[str, Any] = field(default_factory=dict)


# Object kinds that are customer data, and so need the matching view permissions.
VIEW_NEEDS = {
    "customer": (P.CUSTOMER_VIEW,),
    "related": (P.CUSTOMER_VIEW,),
    "dossier": (P.DOSSIER_VIEW,),
    "document": (P.DOSSIER_VIEW, P.DOCUMENT_VIEW),
    "attachment": (P.DOSSIER_VIEW, P.DOCUMENT_VIEW),
}

AUTHENTICATED: list[Check] = [Check()]
TYPES = (P.ARCHIVE_TYPE_MANAGE, P.DOSSIER_VIEW)
RULES = (P.ARCHIVE_TYPE_MANAGE, P.CIRCULATION_MANAGE)
HANDOVER = (P.HANDOVER_SEND, P.HANDOVER_RECEIVE, P.HANDOVER_MANAGE)

ROUTES: dict[str, list[Check]] = {
    # Public or special: asserted in their own tests below.
    "healthz": [],
    "login": [],
    "login_2fa": [],
    "logout": [],
    "set_language": [],
    "api:schema": [],
    "api:docs": [],
    "home": AUTHENTICATED,  # what waits for the caller: dangan/home/tests/
    "home:dashboard": [Check(any_of=(P.CUSTOMER_VIEW, P.DOSSIER_VIEW))],
    "home:dashboard_xlsx": [
        Check(needs=(P.DATA_EXPORT,), any_of=(P.CUSTOMER_VIEW, P.DOSSIER_VIEW))
    ],
    "home:reminders": [Check(needs=(P.CUSTOMER_VIEW,))],
    "home:reminder_done": [],  # a reminder by key: dangan/home/tests/
    "api:home": AUTHENTICATED,
    "api:dashboard": [Check(any_of=(P.CUSTOMER_VIEW, P.DOSSIER_VIEW))],
    "api:reminders": [Check(needs=(P.CUSTOMER_VIEW,))],
    "api:reminder_done": [],
    # The signed-in user's own account.
    "accounts:security": AUTHENTICATED,
    "accounts:password_change": AUTHENTICATED,
    "accounts:totp_setup": AUTHENTICATED,
    "accounts:totp_disable": [Check("POST")],
    "accounts:tokens": [Check(needs=(P.USER_TOKENS,))],  # anyone's tokens; own ones on security
    "accounts:token_create": [Check("POST")],
    "accounts:token_revoke": [],  # object is a token: see test_it_revokes_only_own_tokens
    "accounts:lockouts": [Check(needs=(P.SECURITY_MANAGE,))],
    "accounts:lockout_lift": [Check("POST", needs=(P.SECURITY_MANAGE,), obj="lockout")],
    # Administration (三员分立).
    "manage:home": [Check(any_of=(P.USER_MANAGE, P.ROLE_MANAGE, P.SECURITY_MANAGE))],
    "manage:users": [Check(needs=(P.USER_MANAGE,))],
    "manage:user_create": [Check(needs=(P.USER_MANAGE,))],
    "manage:user_edit": [Check(needs=(P.USER_MANAGE,), obj="user")],
    "manage:user_password": [Check("POST", needs=(P.USER_MANAGE,), obj="user")],
    "manage:roles": [Check(needs=(P.ROLE_MANAGE,))],
    "manage:role_create": [Check(needs=(P.ROLE_MANAGE,))],
    "manage:role_edit": [Check(needs=(P.ROLE_MANAGE,), obj="role")],
    "audit:list": [Check(needs=(P.AUDIT_VIEW,))],
    "audit:export": [Check(needs=(P.AUDIT_EXPORT,))],
    "audit:verify": [Check("POST", needs=(P.AUDIT_VIEW,))],
    # Customers, dossiers, documents: the UI.
    "customers:list": [Check(needs=(P.CUSTOMER_VIEW,))],
    "customers:create": [Check(needs=(P.CUSTOMER_CREATE,))],
    "customers:detail": [Check(obj="customer", scoped=True)],
    "customers:edit": [Check(needs=(P.CUSTOMER_CHANGE,), obj="customer", scoped=True)],
    "customers:unmask": [Check("POST", needs=(P.CUSTOMER_UNMASK,), obj="customer", scoped=True)],
    "customers:credit": [Check(needs=(P.CUSTOMER_CREDIT,), obj="customer", scoped=True)],
    "customers:related_add": [
        Check("POST", needs=(P.CUSTOMER_CHANGE,), obj="customer", scoped=True)
    ],
    "customers:related_remove": [
        Check("POST", needs=(P.CUSTOMER_CHANGE,), obj="related", scoped=True)
    ],
    "archives:dossier_create": [Check(needs=(P.DOSSIER_CREATE,), obj="customer", scoped=True)],
    "archives:dossier_list": [Check(needs=(P.DOSSIER_VIEW,))],
    "archives:dossier": [Check(obj="dossier", scoped=True)],
    "archives:company_dossier_create": [Check(needs=(P.DOSSIER_CREATE,))],
    "archives:document_upload": [
        Check("POST", needs=(P.DOCUMENT_UPLOAD,), obj="dossier", scoped=True)
    ],
    "archives:dossier_locate": [
        Check("POST", needs=(P.DOSSIER_LOCATE,), obj="dossier", scoped=True)
    ],
    "archives:dossier_transition": [
        Check(
            "POST",
            needs=(P.DOSSIER_STATUS,),
            obj="dossier",
            scoped=True,
            data={"to": "terminated", "reason": "合同终止"},
        )
    ],
    "archives:part_add": [
        Check(
            "POST",
            needs=(P.DOCUMENT_UPLOAD,),
            obj="dossier",
            scoped=True,
            data={"label": "首保", "date": "2026-01-05"},
        )
    ],
    "archives:document_void": [
        Check("POST", needs=(P.DOSSIER_CHANGE,), obj="document", scoped=True, data={"reason": "错"})
    ],
    "archives:document_supersede": [
        Check("POST", needs=(P.DOSSIER_CHANGE, P.DOCUMENT_UPLOAD), obj="document", scoped=True)
    ],
    "archives:dossier_edit": [Check(needs=(P.DOSSIER_CHANGE,), obj="dossier", scoped=True)],
    # 修改审批: the page lists what waits for the reader (anyone signed in); a decision on
    # a request the reader cannot see is 404 (dangan/changes/tests).
    "changes:list": AUTHENTICATED,
    "changes:approve": [],
    "changes:deny": [],
    # 年度立卷 (issue 23 §6): the archive room, and a department's manager for their own
    # department (other departments' years: dangan/archives/tests/test_volumes.py). An
    # empty POST answers the form again (200).
    "archives:year_volumes": [
        Check(needs=(P.DOSSIER_STATUS,)),
        Check("POST", needs=(P.DOSSIER_STATUS,)),
    ],
    "archives:year_volume": [Check(needs=(P.DOSSIER_STATUS,), obj="year_volume")],
    "archives:type_list": [Check(any_of=TYPES)],
    "archives:type_detail": [Check(any_of=TYPES, obj="archive_type")],
    "archives:item_edit": [Check(needs=(P.ARCHIVE_TYPE_MANAGE,), obj="item")],
    "archives:item_move": [
        Check("POST", needs=(P.ARCHIVE_TYPE_MANAGE,), obj="item", data={"direction": "up"})
    ],
    "documents:attachment": [Check(needs=(P.FILE_DOWNLOAD,), obj="attachment", scoped=True)],
    # The API.
    "api:me": AUTHENTICATED,
    "api:customers": [
        Check(needs=(P.CUSTOMER_VIEW,)),
        Check("POST", needs=(P.CUSTOMER_CREATE,), data={"kind": "individual", "name": ""}),
    ],
    "api:customer": [
        Check(obj="customer", scoped=True),
        Check("PATCH", needs=(P.CUSTOMER_CHANGE,), obj="customer", scoped=True),
    ],
    "api:customer_unmask": [Check("POST", needs=(P.CUSTOMER_UNMASK,), obj="customer", scoped=True)],
    "api:customer_credit": [
        Check(
            "POST",
            needs=(P.CUSTOMER_CREDIT,),
            obj="customer",
            scoped=True,
            data={"credit_rating": "B", "credit_limit": "1000.00"},
        )
    ],
    "api:customer_related_persons": [
        Check("POST", needs=(P.CUSTOMER_CHANGE,), obj="customer", scoped=True)
    ],
    "api:customer_related_person": [
        Check("DELETE", needs=(P.CUSTOMER_CHANGE,), obj="related", scoped=True)
    ],
    "api:archive_types": [Check(any_of=TYPES)],
    "api:archive_type": [
        Check(any_of=TYPES, obj="archive_type"),
        Check("PUT", needs=(P.ARCHIVE_TYPE_MANAGE,), obj="archive_type"),  # {}: a 400
    ],
    "api:archive_type_versions": [Check(any_of=TYPES, obj="archive_type")],
    "api:approval_rules": [Check(any_of=RULES), Check("POST", needs=(P.ARCHIVE_TYPE_MANAGE,))],
    "api:approval_rule": [
        Check(any_of=RULES, obj="approval_rule"),
        Check("PUT", needs=(P.ARCHIVE_TYPE_MANAGE,), obj="approval_rule"),  # {}: a 400
    ],
    "api:approval_rule_versions": [Check(any_of=RULES, obj="approval_rule")],
    "api:approval_rule_preview": [Check(any_of=RULES)],  # without a question: a 400
    "copies:list": AUTHENTICATED,  # the archive room's list, or one's own copies
    "copies:detail": [],  # one's own or the archive room's: dangan/paper/tests/test_copies.py
    "copies:recall": [],
    "copies:return": [],
    "copies:destroy": [],
    "api:paper_copies": [Check(), Check("POST", needs=(P.CIRCULATION_LEND,))],  # {}: a 400
    "api:paper_copy": [],  # as copies:detail
    "api:paper_copy_recall": [],
    "api:paper_copy_return": [],
    "api:paper_copy_destroy": [],
    "rules:type_rules": [Check(needs=(P.ARCHIVE_TYPE_MANAGE,), obj="archive_type")],
    "rules:approval_rules": [Check(any_of=RULES)],
    "rules:approval_rule_new": [Check(needs=(P.ARCHIVE_TYPE_MANAGE,))],
    "rules:approval_rule_edit": [Check(needs=(P.ARCHIVE_TYPE_MANAGE,), obj="approval_rule")],
    "rules:approval_rule_delete": [],  # deletes: dangan/rules/tests/test_views.py
    "api:dossiers": [Check(needs=(P.DOSSIER_VIEW,))],
    "api:dossier": [
        Check(obj="dossier", scoped=True),
        Check(
            "PATCH", needs=(P.DOSSIER_CHANGE,), obj="dossier", scoped=True, data={"title": "新题名"}
        ),
    ],
    "api:dossier_checklist": [Check(obj="dossier", scoped=True)],
    "api:dossier_parts": [
        Check(needs=(P.DOCUMENT_VIEW,), obj="dossier", scoped=True),
        Check(
            "POST",
            needs=(P.DOCUMENT_UPLOAD,),
            obj="dossier",
            scoped=True,
            data={"label": "首保", "date": "2026-01-05"},
        ),
    ],
    "api:dossier_transition": [
        Check(obj="dossier", scoped=True),
        Check(
            "POST",
            needs=(P.DOSSIER_STATUS,),
            obj="dossier",
            scoped=True,
            data={"to": "terminated", "reason": "合同终止"},
        ),
    ],
    # The paper of a dossier (issue 25): whoever may see the dossier may print it.
    "api:dossier_print_cover": [Check(obj="dossier", scoped=True)],
    "api:dossier_print_contents": [Check(obj="dossier", scoped=True)],
    "api:dossier_print_catalogue": [Check(obj="dossier", scoped=True)],
    "api:dossier_print_notes": [Check(obj="dossier", scoped=True)],
    "api:dossier_print_label": [Check(obj="dossier", scoped=True)],
    "api:dossiers_print": [],  # a selection by ids: dangan/paper/tests/test_prints.py
    # The archive room's places and inventory rounds (issue 25): places are seen by whoever
    # sees dossiers, set up, printed and counted by the room. A round is checked against the
    # room and others in dangan/paper/tests/test_inventory.py.
    "locations:list": [Check(needs=(P.DOSSIER_VIEW,))],
    "locations:detail": [Check(needs=(P.DOSSIER_VIEW,), obj="location")],
    "locations:link": [Check("POST", needs=(P.DOSSIER_LOCATE,))],
    "locations:dossier_place": [
        Check("POST", needs=(P.DOSSIER_LOCATE,), obj="dossier", scoped=True)
    ],
    "api:locations": [
        Check(needs=(P.DOSSIER_VIEW,)),
        Check("POST", needs=(P.DOSSIER_LOCATE,)),  # an empty body answers 400
    ],
    "api:location": [Check(needs=(P.DOSSIER_VIEW,), obj="location")],
    "api:location_print_cabinet": [Check(needs=(P.DOSSIER_VIEW, P.DOSSIER_LOCATE), obj="location")],
    "api:location_print_storage": [Check(needs=(P.DOSSIER_VIEW, P.DOSSIER_LOCATE), obj="location")],
    "api:location_print_labels": [Check(needs=(P.DOSSIER_VIEW, P.DOSSIER_LOCATE), obj="location")],
    "api:closed_catalogue": [],  # a year, not an id: dangan/paper/tests/test_inventory.py
    "paper:inventory_list": [Check(needs=(P.DOSSIER_LOCATE,))],
    "paper:inventory_start": [Check("POST", needs=(P.DOSSIER_LOCATE,))],
    "paper:inventory": [],
    "paper:inventory_close": [],
    "paper:inventory_correct": [],
    # Sign-offs (issue 27 §6): by who holds the step's role, in turn, on a dossier they see:
    # dangan/confirmations/tests/test_confirmations.py.
    "confirmations:queue": AUTHENTICATED,
    "confirmations:sign": [],
    "api:confirmations": AUTHENTICATED,
    "api:confirmation_confirm": [],
    "api:confirmation_refuse": [],
    "paper:task_resolve": [],  # a round's task: dangan/paper/tests/test_inventory.py
    "paper:dossiers_print": [],  # a selection by ids: dangan/paper/tests/test_prints.py
    # Periodic checks (issue 25): the archive room's; a plan by id in test_checks.py.
    "paper:checks": [Check(needs=(P.DOSSIER_LOCATE,))],
    "paper:check_record": [Check("POST", needs=(P.DOSSIER_LOCATE,))],
    "paper:check_plan_create": [Check("POST", needs=(P.DOSSIER_LOCATE,))],
    "paper:check_plan_update": [],
    "api:check_plans": [
        Check(needs=(P.DOSSIER_LOCATE,)),
        Check("POST", needs=(P.DOSSIER_LOCATE,)),  # an empty body answers 400
    ],
    "api:check_plan": [],
    "api:checks": [
        Check(needs=(P.DOSSIER_LOCATE,)),
        Check("POST", needs=(P.DOSSIER_LOCATE,)),  # an empty body: 400 on `outcome`'s default
    ],
    "api:inventory_task_resolve": [],
    # A legal hold on a customer (issue 24): seen with the customer, placed by the room.
    "api:customer_hold": [
        Check(obj="customer", scoped=True),
        Check("POST", needs=(P.DOSSIER_HOLD,), obj="customer", scoped=True),
    ],
    "api:customer_release": [Check("POST", needs=(P.DOSSIER_HOLD,), obj="customer", scoped=True)],
    "disposal:customer_hold": [Check("POST", needs=(P.DOSSIER_HOLD,), obj="customer", scoped=True)],
    "api:inventories": [
        Check(needs=(P.DOSSIER_LOCATE,)),
        Check("POST", needs=(P.DOSSIER_LOCATE,)),  # an empty body answers 400
    ],
    "api:inventory": [],
    "api:inventory_scan": [],
    "api:inventory_close": [],
    "api:inventory_correct": [],
    "api:inventory_report": [],
    "api:dossier_history": [Check(obj="dossier", scoped=True)],
    "api:customer_history": [Check(obj="customer", scoped=True)],
    # Change requests: waiting for the caller (anyone signed in); asking goes through the
    # record's update service (its permissions, dangan/changes/tests); deciding is the
    # approval engine's (holds_office), tested there.
    "api:change_requests": AUTHENTICATED,
    "api:change_request_approve": [],
    "api:change_request_deny": [],
    "api:year_volumes": [
        Check(needs=(P.DOSSIER_STATUS,)),
        Check("POST", needs=(P.DOSSIER_STATUS,)),  # an empty body answers 400
    ],
    "api:year_volume": [Check(needs=(P.DOSSIER_STATUS,), obj="year_volume")],
    "api:year_volume_print_volumes": [Check(needs=(P.DOSSIER_STATUS,), obj="year_volume")],
    "api:year_volume_print_apart": [Check(needs=(P.DOSSIER_STATUS,), obj="year_volume")],
    "api:documents": [Check(needs=(P.DOCUMENT_VIEW,))],
    "api:document": [Check(obj="document", scoped=True)],
    # 作废/替换 (issue 23): the first allowed caller voids; the next get 409, still allowed.
    "api:document_void": [
        Check("POST", needs=(P.DOSSIER_CHANGE,), obj="document", scoped=True, data={"reason": "错"})
    ],
    "api:document_supersede": [  # without a scan: 400 once allowed
        Check("POST", needs=(P.DOSSIER_CHANGE, P.DOCUMENT_UPLOAD), obj="document", scoped=True)
    ],
    "api:file": [Check(needs=(P.FILE_DOWNLOAD,), obj="attachment", scoped=True)],
    "api:audit": [Check(needs=(P.AUDIT_VIEW,))],
    # One search box: anyone signed in; results pass through the policy layer
    # (dangan/search/tests/test_search.py checks scope and counts).
    "search:results": AUTHENTICATED,
    "api:search": AUTHENTICATED,
    "api:audit_export": [Check(needs=(P.AUDIT_EXPORT,))],
    "api:audit_verify": [Check("POST", needs=(P.AUDIT_VIEW,))],
    # Use of the archive (issue 5). Whether a request may be made, seen or decided depends
    # on who asked and on the approval chain, not on a permission code: those routes are
    # checked against their owners and approvers in dangan/circulation/tests/test_api.py.
    "api:access_requests": [Check(), Check("POST")],  # own requests; a body check answers 400
    "api:access_request": [],
    "api:access_request_slip": [],  # requester or archive room: circulation/tests/test_api.py
    "api:access_request_approve": [],
    "api:access_request_deny": [],
    "api:access_request_cancel": [],
    "api:approvals": AUTHENTICATED,  # the caller's own queue
    "api:loans": [Check(), Check("POST", needs=(P.CIRCULATION_LEND,))],  # GET: own or all
    "api:borrow_register": [Check(needs=(P.CIRCULATION_MANAGE,))],
    "api:loan_queue": [Check(needs=(P.CIRCULATION_LEND,))],
    "api:loan": [],
    "api:loan_renew": [],
    "api:loan_return": [],
    "api:grants": AUTHENTICATED,  # own grants; all of them with circulation.manage
    "api:grant_revoke": [],
    "api:notifications": AUTHENTICATED,
    "api:notifications_read": [Check("POST")],
    # Use of the archive: the pages. Object pages (a request, a loan, a grant) are decided
    # by requester, approval chain and lending permission: dangan/circulation/tests/test_views.py.
    "circulation:requests": AUTHENTICATED,  # one's own requests
    "circulation:request_create": AUTHENTICATED,  # the form; the dossier is checked on submit
    "circulation:request": [],
    "circulation:request_cancel": [],
    "circulation:request_approve": [],
    "circulation:request_deny": [],
    "circulation:request_slip": [],
    "circulation:approvals": AUTHENTICATED,  # the caller's own queue
    "circulation:loans": AUTHENTICATED,  # the register with circulation.lend; else own loans
    "circulation:loan_create": [Check("POST", needs=(P.CIRCULATION_LEND,))],
    "circulation:loan": [],
    "circulation:loan_renew": [],
    "circulation:loan_return": [],
    "circulation:grants": AUTHENTICATED,  # own grants; all of them with circulation.manage
    "circulation:grant_revoke": [],
    "circulation:notifications": AUTHENTICATED,
    "circulation:notifications_read": [Check("POST")],
    "circulation:register_pdf": [Check(needs=(P.CIRCULATION_MANAGE,))],
    # Hand-overs (issue 4 §1). A batch is seen by its parties, the receiving department's
    # receivers and hand-over managers, not by a permission code alone: those routes are
    # checked against parties and strangers in dangan/handover/tests/.
    "handover:list": [Check(any_of=HANDOVER)],
    "handover:new": [Check(needs=(P.HANDOVER_SEND,))],
    "handover:desk": [Check(needs=(P.HANDOVER_RECEIVE,))],
    "handover:departure": [Check(needs=(P.HANDOVER_MANAGE,))],
    "handover:detail": [],
    "handover:verify": [],
    "handover:sign": [],
    "handover:slip": [],
    "api:handovers": [
        Check(any_of=HANDOVER),
        Check("POST", needs=(P.HANDOVER_SEND,)),  # an empty body answers 400
    ],
    "api:handover": [],
    "api:handover_verify": [],
    "api:handover_slip": [],  # the batch's parties: dangan/handover/tests/test_api.py
    "api:handover_departure": [Check("POST", needs=(P.HANDOVER_MANAGE,))],
    "api:handover_sign": [],
    # Rule checks and penalties (issue 4 §2–4). Findings and statements are reached through
    # their dossier; the 情况说明 chain names roles, not codes: both are checked against
    # their owners and approvers in dangan/intake/tests/.
    "intake:findings": [Check(needs=(P.DOSSIER_VIEW,))],
    "intake:finding": [],
    "intake:finding_fix": [],
    "intake:statement_submit": [],
    "intake:statement_approve": [],
    "intake:statement_deny": [],
    "intake:dossier_audit": [Check("POST", needs=(P.INTAKE_AUDIT,), obj="dossier", scoped=True)],
    "intake:dossier_facts": [Check(needs=(P.INTAKE_AUDIT,), obj="dossier", scoped=True)],
    "intake:finding_new": [Check(needs=(P.INTAKE_AUDIT,), obj="dossier", scoped=True)],
    "intake:statement": [Check(needs=(P.INTAKE_STATEMENT,))],
    "intake:statement_xlsx": [Check(needs=(P.INTAKE_STATEMENT,))],
    "intake:penalties_assess": [Check("POST", needs=(P.INTAKE_ASSESS,), data={"month": "2026-10"})],
    "intake:overdue": [Check(needs=(P.DOSSIER_VIEW,))],
    "intake:calendar": [
        Check(needs=(P.INTAKE_CALENDAR,)),
        Check("POST", needs=(P.INTAKE_CALENDAR,)),
    ],
    "intake:calendar_load": [Check("POST", needs=(P.INTAKE_CALENDAR,), data={"year": "2026"})],
    "intake:calendar_remove": [],  # object is a calendar date: see dangan/intake/tests/
    "api:dossier_audit": [Check("POST", needs=(P.INTAKE_AUDIT,), obj="dossier", scoped=True)],
    "api:dossier_findings": [
        Check(obj="dossier", scoped=True),
        Check("POST", needs=(P.INTAKE_AUDIT,), obj="dossier", scoped=True, data={"kind": "lost"}),
    ],
    "api:document_check": [
        Check("PUT", needs=(P.INTAKE_AUDIT,), obj="document", scoped=True, data={"signed": True})
    ],
    "api:findings": [Check(needs=(P.DOSSIER_VIEW,))],
    "api:intake_overdue": [Check(needs=(P.DOSSIER_VIEW,))],
    "api:intake_calendar": [
        Check(needs=(P.INTAKE_CALENDAR,)),
        Check("POST", needs=(P.INTAKE_CALENDAR,)),
    ],
    "api:intake_calendar_load": [Check("POST", needs=(P.INTAKE_CALENDAR,))],
    "api:intake_calendar_day": [],  # a day by id: dangan/intake/tests/test_intake.py
    "api:finding_statements": [],
    "api:statement_approve": [],
    "api:statement_deny": [],
    "api:penalty_statement": [Check(needs=(P.INTAKE_STATEMENT,))],
    "api:penalty_statement_xlsx": [Check(needs=(P.INTAKE_STATEMENT,))],
    # Import and export (issue 6 §3–4). A job is seen only by the user who started it:
    # checked against its owner and others in dangan/importer/tests/.
    "importer:wizard": [Check(needs=(P.DATA_IMPORT,))],
    # Backups (issue 22): the system administrator. A POST queues a run (no worker here).
    "backups:index": [Check(needs=(P.SYSTEM_BACKUP,))],
    "backups:run": [Check("POST", needs=(P.SYSTEM_BACKUP,))],
    "api:backups": [Check(needs=(P.SYSTEM_BACKUP,)), Check("POST", needs=(P.SYSTEM_BACKUP,))],
    "importer:mapping": [],
    "importer:job": [],
    "importer:commit": [],
    "importer:resume": [],
    "importer:refused": [],
    "importer:cancel": [],
    "importer:sample": [Check(needs=(P.DATA_IMPORT,))],
    "api:imports": [Check("POST", needs=(P.DATA_IMPORT,))],  # an empty body answers 400
    "api:import": [],
    "api:import-resume": [],
    "api:import-refused": [],
    "api:import-cancel": [],
    "api:import-sample": [Check(needs=(P.DATA_IMPORT,))],
    "api:export_customers": [Check(needs=(P.DATA_EXPORT, P.CUSTOMER_VIEW))],
    "api:export_dossiers": [Check(needs=(P.DATA_EXPORT, P.DOSSIER_VIEW))],
    # Search results: what the caller's search shows, in full (an empty query answers 400);
    # scope, masking and audit in dangan/importer/tests/test_search_export.py.
    "api:export_search": [
        Check(needs=(P.DATA_EXPORT,), any_of=(P.CUSTOMER_VIEW, P.DOSSIER_VIEW)),
        Check(needs=(P.DATA_EXPORT,), any_of=(P.CUSTOMER_VIEW, P.DOSSIER_VIEW), data={"q": "客户"}),
    ],
    # Service records (SPEC C13): scoped by the customer they hang on. A ticket, a contact,
    # a notice by id: checked against other departments in dangan/service/tests/.
    "service:tickets": [Check(needs=(P.SERVICE_VIEW,))],
    "service:ticket_new": [Check(needs=(P.SERVICE_RECORD,), obj="customer", scoped=True)],
    "service:ticket": [],
    "service:ticket_transition": [],
    "service:ticket_assign": [],
    "service:ticket_attach": [],
    "service:contacts": [Check(needs=(P.SERVICE_VIEW,))],
    "service:contact_done": [],
    "service:transactions": [Check(needs=(P.SERVICE_VIEW,))],
    "service:stays": [Check(needs=(P.SERVICE_VIEW,))],
    "service:customer_panel": [Check(obj="customer", scoped=True)],
    "service:notices": AUTHENTICATED,  # what one sent or received
    "service:notice_new": [Check(needs=(P.NOTICE_SEND,))],
    "service:notice": [],  # sender and recipients: dangan/service/tests/test_services.py
    "service:notice_ack": [],
    "service:stats": [Check(needs=(P.SERVICE_VIEW,))],
    "service:export": [Check(needs=(P.SERVICE_VIEW, P.DATA_EXPORT))],
    "api:tickets": [Check(needs=(P.SERVICE_VIEW,)), Check("POST", needs=(P.SERVICE_RECORD,))],
    "api:ticket_stats": [Check(needs=(P.SERVICE_VIEW,))],
    "api:ticket": [],
    "api:ticket_transition": [],
    "api:contacts": [Check(needs=(P.SERVICE_VIEW,)), Check("POST", needs=(P.SERVICE_RECORD,))],
    "api:contact_done": [],
    "api:transactions": [
        Check(needs=(P.SERVICE_VIEW,)),
        Check("POST", needs=(P.SERVICE_RECORD,)),
    ],
    "api:stays": [Check(needs=(P.SERVICE_VIEW,)), Check("POST", needs=(P.SERVICE_RECORD,))],
    "api:notices": [Check(), Check("POST", needs=(P.NOTICE_SEND,))],
    "api:notice_ack": [],
    # Retention and disposal (issue 24). A list is seen by those who take part in it (the
    # archive room, department managers, approvers, supervisors): its steps are checked
    # against each party in dangan/disposal/tests/.
    "disposal:due": [Check(needs=(P.DISPOSAL_PROPOSE,))],
    "disposal:due_xlsx": [Check(needs=(P.DISPOSAL_PROPOSE, P.DATA_EXPORT))],
    "disposal:lists": [],
    "disposal:list": [],
    "disposal:appraise": [],
    "disposal:approve": [],
    "disposal:destroy": [],
    "disposal:restore": [],
    "disposal:register": [Check(needs=(P.DISPOSAL_REGISTER,))],
    "disposal:register_pdf": [Check(needs=(P.DISPOSAL_REGISTER,))],
    "disposal:register_xlsx": [Check(needs=(P.DISPOSAL_REGISTER, P.DATA_EXPORT))],
    "api:disposal_due": [Check(needs=(P.DISPOSAL_PROPOSE,))],
    "api:disposal_register": [Check(needs=(P.DISPOSAL_REGISTER,))],
    "api:disposal_register_pdf": [Check(needs=(P.DISPOSAL_REGISTER,))],
    "api:disposal_lists": [Check("POST", needs=(P.DISPOSAL_PROPOSE,))],
    "api:disposal_list": [],
    "api:disposal_appraise": [],
    "api:disposal_approve": [],
    "api:disposal_deny": [],
    "api:disposal_destroy": [],
    "api:disposal_restore": [],
}


def route_names() -> Iterator[str]:
    def walk(patterns: list[Any], ns: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{ns}{p.name}"

    for name in walk(get_resolver().url_patterns, ""):
        if not name.startswith("admin:"):  # Django admin: superusers only, tested below
            yield name


def test_it_declares_a_policy_for_every_route() -> None:
    undeclared = sorted(set(route_names()) - set(ROUTES))
    assert undeclared == [], f"declare these routes in ROUTES: {undeclared}"
    stale = sorted(set(ROUTES) - set(route_names()))
    assert stale == [], f"these declared routes no longer exist: {stale}"


# --- the world the matrix runs in ----------------------------------------------------


@pytest.fixture
def world(templates: Any) -> dict[str, Any]:
    """One user per role in 销售一部, plus the owners of 'dept' and 'other' objects."""
    from dangan.accounts.services import user_create
    from dangan.archives.services import dossier_create
    from dangan.customers.models import Customer
    from dangan.customers.services import customer_create, related_person_add
    from dangan.documents.services import document_add

    ensure_default_roles()
    make = lambda name, role, dept: user_create(  # noqa: E731
        actor=None, username=name, roles=[role], password=PASSWORD, department=dept
    )[0]
    clerk = make("m_clerk", "archivist", "档案室")
    users = {code: make(f"m_{code}", code, "销售一部") for code in P.ROLE_CODES}
    owners = {
        "dept": make("m_peer", "account_manager", "销售一部"),
        "other": make("m_stranger", "account_manager", "销售二部"),
    }
    rng = random.Random(7)
    ids = iter(make_resident_id(rng) for _ in range(50))

    def objects(owner: Any) -> dict[str, Any]:
        customer = customer_create(
            actor=clerk,
            kind="individual",
            name=f"客户{owner.username}",
            id_number=next(ids),
            mobile="13800138000",
        )
        # Every role's "own" scope is tested, so every role owns a customer here, though
        # the services assign customers only to roles that may hold them (issue 29).
        Customer.objects.filter(pk=customer.pk).update(owner=owner, department=owner.department)
        customer.refresh_from_db()
        dossier = dossier_create(
            actor=clerk,
            customer=customer,
            archive_type=templates["CAR-SALE"],
            fields=another_car(owner.pk),  # one car, one dossier: a VIN each
        )
        document = document_add(
            actor=clerk,
            dossier=dossier,
            checklist_item=dossier.archive_type.items.first(),
            file_name="scan.pdf",
            file_chunks=[PDF_BYTES],
        )
        return {
            "customer": customer,
            "dossier": dossier,
            "document": document,
            "attachment": document.attachments.get(),
            "related": lambda: related_person_add(
                actor=clerk, customer=customer, relation="agent", name="代理人"
            ),
        }

    per_role_own = {code: objects(user) for code, user in users.items()}
    shared = {rel: objects(owner) for rel, owner in owners.items()}
    return {"users": users, "own": per_role_own, "shared": shared, "templates": templates}


def _object(world: dict[str, Any], check: Check, code: str, rel: str) -> Any:
    from dangan.accounts.models import Lockout, User

    if check.obj in ("customer", "dossier", "document", "attachment", "related"):
        bag = world["own"][code] if rel == "own" else world["shared"][rel]
        found = bag[check.obj]
        return found() if callable(found) else found  # related persons are made afresh
    if check.obj == "location":
        from dangan.locations.models import Location

        return Location.objects.get_or_create(
            parent=None, name="矩阵库房", defaults={"kind": "room", "sort_key": "矩阵库房"}
        )[0]
    if check.obj == "archive_type":
        return world["templates"]["CAR-SALE"]
    if check.obj == "year_volume":  # a year closed for the callers' department
        from dangan.archives.models import YearVolume

        department = world["users"]["dept_manager"].department
        return YearVolume.objects.get_or_create(
            archive_type=world["templates"]["CAR-SALE"],
            department=department,
            year=2024,
            defaults={"cross_year": "opening"},
        )[0]
    if check.obj == "approval_rule":
        from dangan.circulation.models import ApprovalRule

        return ApprovalRule.objects.order_by("-priority", "-id").first()
    if check.obj == "item":
        return world["templates"]["CAR-SALE"].items.last()
    if check.obj == "role":
        return Role.objects.get(code="finance")
    if check.obj == "user":
        return User.objects.get(username="m_peer")
    if check.obj == "lockout":
        now = timezone.now()
        return Lockout.objects.create(
            kind="account", key="nobody", locked_at=now, until=now + datetime.timedelta(minutes=15)
        )
    return None


def _url(name: str, check: Check, obj: Any) -> str:
    if name == "service:export":
        return reverse(name, kwargs={"kind": "tickets"})
    if obj is None:
        return reverse(name)
    if name == "service:ticket_new":
        return f"{reverse(name)}?customer={obj.pk}"
    if check.obj == "related":
        return reverse(name, kwargs={"pk": obj.customer_id, "person_pk": obj.pk})
    if name == "archives:dossier_create":
        return reverse(name, kwargs={"customer_pk": obj.pk})
    if name in ("api:archive_type", "api:archive_type_versions"):
        return reverse(name, kwargs={"key": obj.code})
    return reverse(name, kwargs={"pk": obj.pk})


def _expected(role: Role, check: Check, rel: str) -> bool:
    granted = set(role.permissions)
    needs = set(check.needs) | set(VIEW_NEEDS.get(check.obj, ()))
    if not needs <= granted:
        return False
    if check.any_of and not granted & set(check.any_of):
        return False
    if check.scoped:
        reach = {"all": RELATIONS, "department": ("own", "dept"), "own": ("own",)}
        if rel not in reach.get(role.scope, ()):
            return False
    return True


def _call(client: Client, check: Check, url: str) -> int:
    send: Callable[..., Any] = getattr(client, check.method.lower())
    if check.method in ("PATCH", "PUT"):
        return int(send(url, check.data, content_type="application/json").status_code)
    return int(send(url, check.data).status_code)


def test_it_allows_exactly_what_each_role_declares(world: dict[str, Any]) -> None:
    problems = []
    for code in P.ROLE_CODES:
        role = Role.objects.get(code=code)
        client = Client()
        client.force_login(world["users"][code])
        for name, checks in ROUTES.items():
            for check in checks:
                for rel in RELATIONS if check.scoped else ("own",):
                    url = _url(name, check, _object(world, check, code, rel))
                    status = _call(client, check, url)
                    allowed = status not in (401, 403, 404)
                    if allowed != _expected(role, check, rel) or status >= 500:
                        problems.append(f"{code:17} {rel:5} {check.method:6} {url} → {status}")
    assert problems == [], "\n".join(problems)


def test_it_sends_anonymous_callers_to_the_login(world: dict[str, Any]) -> None:
    client = Client()
    for name, checks in ROUTES.items():
        for check in checks:
            url = _url(name, check, _object(world, check, "archivist", "own"))
            status = _call(client, check, url)
            if name.startswith("api:"):
                assert status in (401, 403), (url, status)
            else:
                assert status == 302, (url, status)


def test_it_leaves_the_public_routes_public(client: Client) -> None:
    for name in ("healthz", "login", "api:schema", "api:docs"):
        assert client.get(reverse(name)).status_code == 200, name


def test_it_keeps_django_admin_to_superusers(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["users"]["sysadmin"])
    assert client.get("/admin/").status_code == 302
