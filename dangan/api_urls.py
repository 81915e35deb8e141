"""REST API v1 (SPEC §4)."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dangan.accounts.api import MeApi
from dangan.archives.api import (
    ArchiveTypeDetailApi,
    ArchiveTypeListApi,
    ArchiveTypeVersionsApi,
    DossierChecklistApi,
    DossierDetailApi,
    DossierListApi,
)
from dangan.archives.lifecycle_api import DossierPartListApi, DossierTransitionApi
from dangan.archives.volumes_api import (
    PRINT_FORMS,
    YearVolumeDetailApi,
    YearVolumeListApi,
    YearVolumePrintApi,
)
from dangan.audit.api import AuditChainCheckApi, AuditExportApi, AuditListApi
from dangan.backups.api import BackupListApi
from dangan.changes.api import (
    ChangeRequestApproveApi,
    ChangeRequestDenyApi,
    ChangeRequestListApi,
    CustomerHistoryApi,
    DossierHistoryApi,
)
from dangan.circulation.api import (
    AccessRequestApproveApi,
    AccessRequestCancelApi,
    AccessRequestDenyApi,
    AccessRequestDetailApi,
    AccessRequestListApi,
    AccessRequestSlipApi,
    ApprovalListApi,
    BorrowRegisterApi,
    GrantListApi,
    GrantRevokeApi,
    LoanDetailApi,
    LoanListApi,
    LoanQueueApi,
    LoanRenewApi,
    LoanReturnApi,
    NotificationListApi,
    NotificationReadApi,
)
from dangan.confirmations.api import ConfirmApi, ConfirmationListApi, RefuseApi
from dangan.customers.api import (
    CustomerDetailApi,
    CustomerListApi,
    CustomerUnmaskApi,
    RelatedPersonDetailApi,
    RelatedPersonListApi,
)
from dangan.customers.credit_api import CustomerCreditApi
from dangan.disposal.api import (
    AppraiseApi,
    ApproveApi,
    CustomerHoldApi,
    CustomerReleaseApi,
    DenyApi,
    DestroyApi,
    DueApi,
    ListDetailApi,
    ListsApi,
    RegisterApi,
    RegisterPdfApi,
    RestoreApi,
)
from dangan.documents.api import (
    AttachmentDownloadApi,
    DocumentDetailApi,
    DocumentListApi,
    DocumentSupersedeApi,
    DocumentVoidApi,
)
from dangan.handover.api import (
    DepartureApi,
    HandoverDetailApi,
    HandoverListApi,
    HandoverSignApi,
    HandoverSlipApi,
    HandoverVerifyApi,
)
from dangan.home.api import DashboardApi, HomeApi, ReminderDoneApi, RemindersApi
from dangan.importer.api import (
    CustomerExportApi,
    DossierExportApi,
    ImportCancelApi,
    ImportDetailApi,
    ImportListApi,
    ImportRefusedApi,
    ImportResumeApi,
    ImportSampleApi,
    SearchExportApi,
)
from dangan.intake.api import (
    CalendarApi,
    CalendarDayApi,
    CalendarLoadApi,
    DocumentCheckApi,
    DossierAuditApi,
    DossierFindingsApi,
    FindingListApi,
    FindingStatementApi,
    OverdueApi,
    PenaltyStatementApi,
    PenaltyStatementXlsxApi,
    StatementApproveApi,
    StatementDenyApi,
)
from dangan.search.api import SearchApi
from dangan.service.api import (
    ContactDoneApi,
    ContactListApi,
    NoticeAckApi,
    NoticeListApi,
    StatsApi,
    StayListApi,
    TicketDetailApi,
    TicketListApi,
    TicketTransitionApi,
    TransactionListApi,
)

app_name = "api"
urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("", include("dangan.paper.api_urls")),
    path("customers/", CustomerListApi.as_view(), name="customers"),
    path("customers/<int:pk>/", CustomerDetailApi.as_view(), name="customer"),
    path("customers/<int:pk>/unmask/", CustomerUnmaskApi.as_view(), name="customer_unmask"),
    path("customers/<int:pk>/history/", CustomerHistoryApi.as_view(), name="customer_history"),
    path("customers/<int:pk>/credit/", CustomerCreditApi.as_view(), name="customer_credit"),
    path(
        "customers/<int:pk>/related-persons/",
        RelatedPersonListApi.as_view(),
        name="customer_related_persons",
    ),
    path(
        "customers/<int:pk>/related-persons/<int:person_pk>/",
        RelatedPersonDetailApi.as_view(),
        name="customer_related_person",
    ),
    path("archive-types/", ArchiveTypeListApi.as_view(), name="archive_types"),
    path("archive-types/<str:key>/", ArchiveTypeDetailApi.as_view(), name="archive_type"),
    path(
        "archive-types/<str:key>/versions/",
        ArchiveTypeVersionsApi.as_view(),
        name="archive_type_versions",
    ),
    path("", include("dangan.rules.api_urls")),
    path("dossiers/", DossierListApi.as_view(), name="dossiers"),
    path("dossiers/<int:pk>/", DossierDetailApi.as_view(), name="dossier"),
    path("dossiers/<int:pk>/checklist/", DossierChecklistApi.as_view(), name="dossier_checklist"),
    path(
        "dossiers/<int:pk>/transition/", DossierTransitionApi.as_view(), name="dossier_transition"
    ),
    path("dossiers/<int:pk>/parts/", DossierPartListApi.as_view(), name="dossier_parts"),
    path("dossiers/<int:pk>/history/", DossierHistoryApi.as_view(), name="dossier_history"),
    path("year-volumes/", YearVolumeListApi.as_view(), name="year_volumes"),
    path("year-volumes/<int:pk>/", YearVolumeDetailApi.as_view(), name="year_volume"),
    *(
        path(
            f"year-volumes/<int:pk>/print/{form}.pdf",
            YearVolumePrintApi.as_view(),
            {"form": form},
            name=f"year_volume_print_{form}",
        )
        for form in PRINT_FORMS
    ),
    path("change-requests/", ChangeRequestListApi.as_view(), name="change_requests"),
    path(
        "change-requests/<int:pk>/approve/",
        ChangeRequestApproveApi.as_view(),
        name="change_request_approve",
    ),
    path(
        "change-requests/<int:pk>/deny/", ChangeRequestDenyApi.as_view(), name="change_request_deny"
    ),
    path("documents/", DocumentListApi.as_view(), name="documents"),
    path("documents/<int:pk>/", DocumentDetailApi.as_view(), name="document"),
    path("documents/<int:pk>/void/", DocumentVoidApi.as_view(), name="document_void"),
    path(
        "documents/<int:pk>/supersede/", DocumentSupersedeApi.as_view(), name="document_supersede"
    ),
    path("files/<int:pk>/", AttachmentDownloadApi.as_view(), name="file"),
    path("audit/", AuditListApi.as_view(), name="audit"),
    path("audit/export.xlsx", AuditExportApi.as_view(), name="audit_export"),
    path("audit/verify/", AuditChainCheckApi.as_view(), name="audit_verify"),
    path("access-requests/", AccessRequestListApi.as_view(), name="access_requests"),
    path("access-requests/<int:pk>/", AccessRequestDetailApi.as_view(), name="access_request"),
    path(
        "access-requests/<int:pk>/slip.pdf",
        AccessRequestSlipApi.as_view(),
        name="access_request_slip",
    ),
    path(
        "access-requests/<int:pk>/approve/",
        AccessRequestApproveApi.as_view(),
        name="access_request_approve",
    ),
    path(
        "access-requests/<int:pk>/deny/", AccessRequestDenyApi.as_view(), name="access_request_deny"
    ),
    path(
        "access-requests/<int:pk>/cancel/",
        AccessRequestCancelApi.as_view(),
        name="access_request_cancel",
    ),
    path("approvals/", ApprovalListApi.as_view(), name="approvals"),
    path("loans/", LoanListApi.as_view(), name="loans"),
    path("loans/register.pdf", BorrowRegisterApi.as_view(), name="borrow_register"),
    path("loans/queue/", LoanQueueApi.as_view(), name="loan_queue"),
    path("loans/<int:pk>/", LoanDetailApi.as_view(), name="loan"),
    path("loans/<int:pk>/renew/", LoanRenewApi.as_view(), name="loan_renew"),
    path("loans/<int:pk>/return/", LoanReturnApi.as_view(), name="loan_return"),
    path("grants/", GrantListApi.as_view(), name="grants"),
    path("grants/<int:pk>/revoke/", GrantRevokeApi.as_view(), name="grant_revoke"),
    path("notifications/", NotificationListApi.as_view(), name="notifications"),
    path("notifications/read/", NotificationReadApi.as_view(), name="notifications_read"),
    path("handovers/", HandoverListApi.as_view(), name="handovers"),
    path("handovers/departure/", DepartureApi.as_view(), name="handover_departure"),
    path("handovers/<int:pk>/", HandoverDetailApi.as_view(), name="handover"),
    path("handovers/<int:pk>/verify/", HandoverVerifyApi.as_view(), name="handover_verify"),
    path("handovers/<int:pk>/slip.pdf", HandoverSlipApi.as_view(), name="handover_slip"),
    path("handovers/<int:pk>/sign/", HandoverSignApi.as_view(), name="handover_sign"),
    path("dossiers/<int:pk>/audit/", DossierAuditApi.as_view(), name="dossier_audit"),
    path("dossiers/<int:pk>/findings/", DossierFindingsApi.as_view(), name="dossier_findings"),
    path("documents/<int:pk>/check/", DocumentCheckApi.as_view(), name="document_check"),
    path("findings/", FindingListApi.as_view(), name="findings"),
    path("intake/overdue/", OverdueApi.as_view(), name="intake_overdue"),
    path("intake/calendar/", CalendarApi.as_view(), name="intake_calendar"),
    path("intake/calendar/load/", CalendarLoadApi.as_view(), name="intake_calendar_load"),
    path("intake/calendar/<int:pk>/", CalendarDayApi.as_view(), name="intake_calendar_day"),
    path(
        "findings/<int:pk>/statements/",
        FindingStatementApi.as_view(),
        name="finding_statements",
    ),
    path("statements/<int:pk>/approve/", StatementApproveApi.as_view(), name="statement_approve"),
    path("statements/<int:pk>/deny/", StatementDenyApi.as_view(), name="statement_deny"),
    path("penalties/statement/", PenaltyStatementApi.as_view(), name="penalty_statement"),
    path(
        "penalties/statement.xlsx",
        PenaltyStatementXlsxApi.as_view(),
        name="penalty_statement_xlsx",
    ),
    path("search/", SearchApi.as_view(), name="search"),
    path("imports/", ImportListApi.as_view(), name="imports"),
    path("backups/", BackupListApi.as_view(), name="backups"),
    path("imports/<int:pk>/", ImportDetailApi.as_view(), name="import"),
    path("imports/<int:pk>/resume/", ImportResumeApi.as_view(), name="import-resume"),
    path("imports/<int:pk>/cancel/", ImportCancelApi.as_view(), name="import-cancel"),
    path("imports/<int:pk>/refused/", ImportRefusedApi.as_view(), name="import-refused"),
    path("imports/sample/", ImportSampleApi.as_view(), name="import-sample"),
    path("exports/customers.xlsx", CustomerExportApi.as_view(), name="export_customers"),
    path("exports/dossiers.xlsx", DossierExportApi.as_view(), name="export_dossiers"),
    path("exports/search.xlsx", SearchExportApi.as_view(), name="export_search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("tickets/", TicketListApi.as_view(), name="tickets"),
    path("tickets/stats/", StatsApi.as_view(), name="ticket_stats"),
    path("tickets/<int:pk>/", TicketDetailApi.as_view(), name="ticket"),
    path("tickets/<int:pk>/transition/", TicketTransitionApi.as_view(), name="ticket_transition"),
    path("contacts/", ContactListApi.as_view(), name="contacts"),
    path("contacts/<int:pk>/done/", ContactDoneApi.as_view(), name="contact_done"),
    path("transactions/", TransactionListApi.as_view(), name="transactions"),
    path("stays/", StayListApi.as_view(), name="stays"),
    path("notices/", NoticeListApi.as_view(), name="notices"),
    path("notices/<int:pk>/acknowledge/", NoticeAckApi.as_view(), name="notice_ack"),
    path("home/", HomeApi.as_view(), name="home"),
    path("dashboard/", DashboardApi.as_view(), name="dashboard"),
    path("reminders/", RemindersApi.as_view(), name="reminders"),
    path("reminders/<str:key>/done/", ReminderDoneApi.as_view(), name="reminder_done"),
    path("disposal/due/", DueApi.as_view(), name="disposal_due"),
    path("confirmations/", ConfirmationListApi.as_view(), name="confirmations"),
    path("confirmations/<int:pk>/confirm/", ConfirmApi.as_view(), name="confirmation_confirm"),
    path("confirmations/<int:pk>/refuse/", RefuseApi.as_view(), name="confirmation_refuse"),
    path("customers/<int:pk>/legal-hold/", CustomerHoldApi.as_view(), name="customer_hold"),
    path(
        "customers/<int:pk>/legal-hold/release/",
        CustomerReleaseApi.as_view(),
        name="customer_release",
    ),
    path("disposal/register/", RegisterApi.as_view(), name="disposal_register"),
    path("disposal/register.pdf", RegisterPdfApi.as_view(), name="disposal_register_pdf"),
    path("disposal-lists/", ListsApi.as_view(), name="disposal_lists"),
    path("disposal-lists/<int:pk>/", ListDetailApi.as_view(), name="disposal_list"),
    path("disposal-lists/<int:pk>/appraise/", AppraiseApi.as_view(), name="disposal_appraise"),
    path("disposal-lists/<int:pk>/approve/", ApproveApi.as_view(), name="disposal_approve"),
    path("disposal-lists/<int:pk>/deny/", DenyApi.as_view(), name="disposal_deny"),
    path("disposal-lists/<int:pk>/destroy/", DestroyApi.as_view(), name="disposal_destroy"),
    path("disposal-lists/<int:pk>/restore/", RestoreApi.as_view(), name="disposal_restore"),
]
