"""HQ promotions (mounted at /promotions/): HQ network admins write; regional managers read.
Dealers meet promotions on their quotes."""

from dealers.access import HQ_READERS, NETWORK_ADMINS, Rule, route

from . import promotion_views as views

app_name = "promotions"

urlpatterns = [
    route("", views.promotion_list, name="list", access=Rule(read=HQ_READERS)),
    route(
        "new/",
        views.promotion_create,
        name="create",
        access=Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS),
    ),  # fmt: skip
    route(
        "<int:pk>/",
        views.promotion_detail,
        name="detail",
        access=Rule(read=HQ_READERS, write=NETWORK_ADMINS),
    ),  # fmt: skip
]
