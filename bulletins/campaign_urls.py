"""Technical campaigns (mounted at /campaigns/): HQ network admins write; regional managers read
the figures of their regions. No customer data on any of these pages."""

from dealers.access import CAMPAIGN_READERS, NETWORK_ADMINS, Rule, route

from . import campaign_views as views

app_name = "campaigns"

READ = Rule(read=CAMPAIGN_READERS, write=NETWORK_ADMINS)
EDIT = Rule(read=NETWORK_ADMINS, write=NETWORK_ADMINS)

urlpatterns = [
    route("", views.campaign_list, name="list", access=Rule(read=CAMPAIGN_READERS)),
    route("new/", views.campaign_create, name="create", access=EDIT),
    route("<int:pk>/", views.campaign_detail, name="detail", access=READ),
]
