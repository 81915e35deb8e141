from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from dangan.accounts import views as account_views
from dangan.home import views as home_views


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("login/2fa/", account_views.login_2fa, name="login_2fa"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("account/", include("dangan.accounts.urls")),
    path("manage/", include("dangan.accounts.manage_urls")),
    path("audit/", include("dangan.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Django admin signs in through our login (lockout, two-factor, audit), never its own.
    path("admin/login/", RedirectView.as_view(url="/login/", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("dangan.api_urls")),
    path("", home_views.home, name="home"),
    path("home/", include("dangan.home.urls")),
    path("customers/", include("dangan.customers.urls")),
    path("intake/", include("dangan.intake.urls")),
    path("circulation/", include("dangan.circulation.urls")),
    path("handover/", include("dangan.handover.urls")),
    path("changes/", include("dangan.changes.urls")),
    path("import/", include("dangan.importer.urls")),
    path("search/", include("dangan.search.urls")),
    path("service/", include("dangan.service.urls")),
    path("disposal/", include("dangan.disposal.urls")),
    path("confirmations/", include("dangan.confirmations.urls")),
    path("locations/", include("dangan.locations.urls")),
    path("inventory/", include("dangan.paper.urls")),
    path("backups/", include("dangan.backups.urls")),
    path("rules/", include("dangan.rules.urls")),
    path("copies/", include("dangan.paper.copies_urls")),
    path("", include("dangan.archives.urls")),
    path("", include("dangan.documents.urls")),
]

handler403 = "dangan.core.errorpages.handler403"
handler404 = "dangan.core.errorpages.handler404"
handler500 = "dangan.core.errorpages.handler500"
