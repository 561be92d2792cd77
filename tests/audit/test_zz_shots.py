import datetime
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from dealers import services
from dealers.models import Membership
from dms.audit.models import AuditAction
from dms.audit.services import record
from dms.tenancy.context import as_dealer
from tests.api.support import session_client
from tests.factories import DealerFactory, hq_user, staff

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.mark.django_db(transaction=True)
def test_shots(live_server, settings):
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, '/tmp/swg/static']
    a = DealerFactory(code="D0100", name="Autohaus Mitte")
    b = DealerFactory(code="D0200", name="Autohaus Nord")
    admin = staff(a, "dealer_admin", username="admin.a", first_name="Ada", last_name="Admin")
    mgr = staff(a, "sales_manager", username="mgr.a", first_name="Max", last_name="Manager")
    people = [staff(a, "consultant", first_name=f"Person{i}", last_name="Example") for i in range(5)]
    hq = hq_user("hq_admin", username="hq.root", first_name="Hanna", last_name="Quartier")
    for i, p in enumerate(people):
        with as_dealer(a):
            services.create_absence(dealer=a, membership=Membership.objects.get(user=p),
                                    starts_on=datetime.date(2026, 3, 1 + i),
                                    ends_on=datetime.date(2026, 3, 3 + i),
                                    reason=["leave", "sick", "training"][i % 3],
                                    note="Family holiday" if i == 0 else "", actor=mgr)
        record(action=AuditAction.LOGIN, actor=p, dealer=a, detail={"via": "password"})
    record(action=AuditAction.EXPORT, actor=admin, dealer=a, count=120,
           object_type="leads.Customer", detail={"format": "csv", "filters": {"grade": "H"}})
    record(action=AuditAction.ROLE_CHANGE, actor=hq, dealer=b, object_type="dealers.Membership",
           object_id=7, detail={"username": "someone", "role": ["consultant", "sales_manager"]})
    record(action=AuditAction.DEALER_CHANGE, actor=hq, detail={"change": "dealer_created", "code": "D0300", "region": "north", "a": "long detail " * 10})
    host = urlparse(live_server.url).hostname
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        for user, url, name, width in [
            (hq, "/audit/", "audit_hq", 1280), (admin, "/audit/", "audit_dealer", 1280),
            (mgr, "/network/absences/", "absences", 1280), (mgr, "/network/absences/new/", "absence_new", 1280),
            (hq, "/network/dealers/", "dealers", 1280), (hq, "/network/regions/", "regions", 1280),
            (hq, "/network/users/", "users", 1280), (admin, "/network/staff/", "staff", 1280),
            (hq, f"/network/users/{people[0].pk}/", "user_detail", 1280),
            (hq, "/network/dealers/new/", "dealer_new", 1280),
            (mgr, "/network/absences/", "absences_tablet", 820),
            (hq, "/api/docs/", "api_docs", 1280),
        ]:
            client = session_client(user)
            ctx = browser.new_context(viewport={"width": width, "height": 900})
            ctx.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "domain": host, "path": "/"}])
            page = ctx.new_page()
            msgs = []
            page.on("console", lambda m: msgs.append(f"{m.type}: {m.text}"))
            page.goto(live_server.url + url)
            page.wait_for_timeout(1500 if "docs" in url else 500)
            page.screenshot(path=f"/tmp/shots/{name}.png", full_page=True)
            print(name, page.url, msgs)
            ctx.close()
        browser.close()
