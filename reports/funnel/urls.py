"""The funnel page, a page of the sales area: dms/urls.py mounts these patterns at /sales/ with
the leads pages, in their namespace (leads:funnel), so that leads/ need not import reports/."""

from dealers.access import FUNNEL_READERS, Rule, route

from .views import FunnelView

urlpatterns = [
    route("funnel/", FunnelView.as_view(), name="funnel", access=Rule(read=FUNNEL_READERS)),
]
