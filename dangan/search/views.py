from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangan.accounts import policy
from dangan.core.http import actor_of, app_errors
from dangan.search import selectors, services


@login_required
@app_errors
def search_results(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "").replace("\x00", "")
    # As typed (cut): the selectors keep only valid ones (_clean_filters), and the form
    # shows them back.
    filters = {key: request.GET.get(key, "")[:40] for key in selectors.FILTER_KEYS}
    result = services.search_run(actor=actor_of(request), raw=raw, filters=filters)
    limited = policy.customer_fields_for(request.user) is not None
    context = {
        "result": result,
        "filters": filters,
        "limited": limited,
        "choices": {} if limited else selectors.filter_choices(request.user),
    }
    return render(request, "search/results.html", context)
