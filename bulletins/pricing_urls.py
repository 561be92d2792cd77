"""Price-list pages, mounted at /prices/ (namespace "prices")."""

from __future__ import annotations

from dealers.access import (
    LABOUR_RATE_READERS,
    LABOUR_RATE_SETTERS,
    NETWORK_ADMINS,
    SIGNED_IN,
    Rule,
    route,
)

from . import pricing_views as views

app_name = "prices"

HQ = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)

urlpatterns = [
    route("", views.price_lookup, name="lookup", access=Rule(read=SIGNED_IN)),
    route(
        "labour-rates/",
        views.labour_rates,
        name="labour_rates",
        access=Rule(read=LABOUR_RATE_READERS, write=LABOUR_RATE_SETTERS),
    ),
    route("lists/", views.price_lists, name="lists", access=Rule(read=NETWORK_ADMINS)),
    route("lists/<int:pk>/draft/", views.new_draft, name="new_draft", access=HQ),
    route(
        "versions/<int:pk>/", views.version_detail, name="version", access=Rule(read=NETWORK_ADMINS)
    ),
    route(
        "versions/<int:pk>/diff/", views.version_diff, name="diff", access=Rule(read=NETWORK_ADMINS)
    ),
    route("versions/<int:pk>/check/", views.check_version, name="check", access=HQ),
    route("versions/<int:pk>/publish/", views.publish_version, name="publish", access=HQ),
    route("versions/<int:pk>/withdraw/", views.withdraw_version, name="withdraw", access=HQ),
]
