"""Bulletin pages under /bulletins/ (namespace `bulletins`). Dealer staff read their inbox;
HQ's pages are under hq/; the compliance page answers HQ and a dealer's managers."""

from dealers.access import (
    BULLETIN_ATTACHMENT_READERS,
    BULLETIN_COMPLIANCE,
    BULLETIN_HQ,
    BULLETIN_READERS,
    BULLETIN_STAFF_STATUS,
    NETWORK_ADMINS,
    Rule,
    route,
)

from . import views

app_name = "bulletins"

ADMINS = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)
urlpatterns = [
    route("", views.inbox, name="inbox", access=Rule(read=BULLETIN_READERS)),
    route("<int:pk>/", views.detail, name="detail", access=Rule(read=BULLETIN_READERS)),
    route(
        "<int:pk>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
        access=Rule(read=BULLETIN_READERS, write=BULLETIN_READERS),
    ),
    route("team/", views.team, name="team", access=Rule(read=BULLETIN_STAFF_STATUS)),
    route(
        "<int:pk>/compliance/",
        views.compliance,
        name="compliance",
        access=Rule(read=BULLETIN_COMPLIANCE),
    ),
    route(
        "<int:pk>/compliance.<str:file_format>",
        views.compliance_export,
        name="compliance_export",
        access=Rule(read=BULLETIN_COMPLIANCE),
    ),
    route(
        "<int:pk>/files/<int:attachment_pk>/",
        views.attachment,
        name="attachment",
        access=Rule(read=BULLETIN_ATTACHMENT_READERS),
    ),
    # HQ
    route("hq/", views.hq_list, name="list", access=Rule(read=BULLETIN_HQ)),
    route("hq/new/", views.hq_create, name="hq_create", access=ADMINS),
    route("hq/preview/", views.hq_preview, name="hq_preview", access=ADMINS),
    route("hq/<int:pk>/", views.hq_detail, name="hq_detail", access=Rule(read=BULLETIN_HQ)),
    route("hq/<int:pk>/edit/", views.hq_edit, name="hq_edit", access=ADMINS),
    route("hq/<int:pk>/publish/", views.hq_publish, name="hq_publish", access=ADMINS),
    route("hq/<int:pk>/revise/", views.hq_revise, name="hq_revise", access=ADMINS),
    route("hq/<int:pk>/withdraw/", views.hq_withdraw, name="hq_withdraw", access=ADMINS),
    route("hq/<int:pk>/files/", views.hq_attach, name="hq_attach", access=ADMINS),
    route(
        "hq/<int:pk>/files/<int:attachment_pk>/delete/",
        views.hq_detach,
        name="hq_detach",
        access=ADMINS,
    ),
]
