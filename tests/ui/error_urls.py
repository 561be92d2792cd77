"""The project's URLs plus one view that fails, for the 500 page test (urls.py stays clean)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from dms.urls import urlpatterns as project_urlpatterns


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-internal-detail: SELECT * FROM leads_customer")


urlpatterns = [path("test-broken/", broken_view), *project_urlpatterns]
