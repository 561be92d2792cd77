"""Lead pages: list, detail, actions, pool, settings — who sees what, bad input, other dealers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dms.tenancy.context import as_dealer
from leads.models import FollowUp, Lead, LeadSettings, Stage
from leads.services import leads as svc
from tests.factories import hq_user
from tests.leads._funnel import (  # noqa: F401
    Shop,
    other_shop_fixture,
    shop_fixture,
    signed_in_fixture,
)

pytestmark = pytest.mark.django_db


def detail(lead: Lead) -> str:
    return reverse("leads:lead_detail", args=[lead.pk])


def action(lead: Lead, name: str) -> str:
    return reverse("leads:lead_action", args=[lead.pk, name])


def refused(client, response, lead: Lead) -> str:
    """A refused form: back to the lead's own page (303, a reload shows the page, it does not
    send the form again), where the page shows the errors once."""
    assert response.status_code == 303, response.status_code
    assert response["Location"].split("#")[0] == detail(lead)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_consultant_sees_own_leads_and_pool_not_colleagues(shop: Shop, signed_in):
    mine = shop.lead(shop.alice)
    theirs = shop.lead(shop.bob)
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=timezone.now())
    client = signed_in(shop.alice)
    page = client.get(reverse("leads:leads"))
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.customer.last_name in html
    assert theirs.customer.last_name not in html
    assert client.get(detail(mine)).status_code == 200
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(detail(pooled)).status_code == 200
    assert pooled.customer.last_name in client.get(reverse("leads:pool")).content.decode()


def test_manager_sees_all_and_filters(shop: Shop, signed_in):
    a = shop.lead(shop.alice, grade="H")
    b = shop.lead(shop.bob, grade="C")
    client = signed_in(shop.manager)
    html = client.get(reverse("leads:leads"), {"grade": "H"}).content.decode()
    assert a.customer.last_name in html and b.customer.last_name not in html
    html = client.get(reverse("leads:leads"), {"consultant": shop.bob.pk}).content.decode()
    assert b.customer.last_name in html and a.customer.last_name not in html


def test_other_dealers_lead_is_404_everywhere(shop: Shop, other_shop: Shop, signed_in):
    foreign = other_shop.lead(other_shop.alice)
    client = signed_in(shop.manager)
    assert client.get(detail(foreign)).status_code == 404
    for name in ("stage", "grade", "lost", "lost-decision", "claim", "reassign", "dormant"):
        assert client.post(action(foreign, name), {"grade": "H"}).status_code == 404
    with as_dealer(other_shop.dealer):
        foreign.refresh_from_db()
        assert foreign.grade == "" and foreign.is_open


def test_hq_cannot_use_lead_pages(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    client = signed_in(hq_user("hq_admin"))
    assert client.get(reverse("leads:leads")).status_code == 403
    assert client.post(action(lead, "grade"), {"grade": "H"}).status_code == 403


def test_detail_shows_stage_bar_playbook_and_guidance_for_onboarding(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Hello")
    html = signed_in(shop.alice).get(detail(lead)).content.decode()
    assert 'data-testid="stage-bar"' in html and 'aria-current="step"' in html
    assert "Needs analysis" in html
    assert 'data-testid="onboarding-badge"' not in html
    shop.alice.onboarding = True
    shop.alice.save()
    html = signed_in(shop.alice).get(detail(lead)).content.decode()
    assert 'data-testid="onboarding-badge"' in html
    assert '<details class="step-guidance small ms-4 mt-1" open>' in html


def test_stage_move_blocked_by_playbook_shows_error_and_changes_nothing(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        svc.record_activity(lead=lead, actor=shop.alice, kind="call", summary="Hello")
    client = signed_in(shop.alice)
    response = client.post(action(lead, "stage"), {"stage": "visited"})
    html = refused(client, response, lead)
    assert html.count("Needs analysis: use, budget") == 2  # the playbook's line and the error
    assert 'data-testid="action-errors-stage"' in html
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.stage == Stage.CONTACTED
    client.post(action(lead, "step"), {"step": "needs_analysis"})
    response = client.post(action(lead, "stage"), {"stage": "visited"})
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.stage == Stage.VISITED


def test_consultant_may_not_waive_or_decide_or_work_colleagues_pool_lead(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=timezone.now())
    client = signed_in(shop.alice)
    assert (
        client.post(action(lead, "waive"), {"step": "needs_analysis", "reason": "x"}).status_code
        == 403
    )
    assert client.post(action(lead, "lost-decision"), {"decision": "approve"}).status_code == 403
    assert client.post(action(lead, "reassign"), {"consultant": shop.bob.pk}).status_code == 403
    assert client.post(action(pooled, "grade"), {"grade": "H"}).status_code == 403
    assert client.post(action(lead, "frobnicate")).status_code == 403


def test_lost_flow_through_pages(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    alice = signed_in(shop.alice)
    response = alice.post(action(lead, "lost"), {"reason": "", "note": "x"})
    html = refused(alice, response, lead)
    assert html.count("Choose a reason from the HQ list.") == 1
    assert (
        alice.post(action(lead, "lost"), {"reason": "price", "note": "too dear"}).status_code == 302
    )
    manager = signed_in(shop.manager)
    inbox = manager.get(reverse("leads:approvals")).content.decode()
    assert lead.customer.last_name in inbox
    assert manager.post(action(lead, "lost-decision"), {"decision": "approve"}).status_code == 302
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.stage == "lost" and not lead.is_open


def test_grade_and_dormant_bad_input(shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    client = signed_in(shop.alice)
    html = refused(client, client.post(action(lead, "grade"), {"grade": "O"}), lead)
    assert html.count("Select a valid choice. O is not one of the available choices.") == 1
    html = refused(client, client.post(action(lead, "dormant"), {"reason": "  "}), lead)
    assert html.count("Say why the lead goes dormant.") == 1
    with as_dealer(shop.dealer):
        lead.refresh_from_db()
        assert lead.grade == "" and lead.is_open
    assert client.post(action(lead, "grade"), {"grade": "A"}).status_code == 302


def test_claim_from_pool_page_and_cap_error(shop: Shop, signed_in):
    pooled = shop.lead(shop.bob, in_pool=True, pooled_at=timezone.now())
    with as_dealer(shop.dealer):
        LeadSettings.objects.create(dealer=shop.dealer, max_open_leads=1)
    shop.lead(shop.alice)
    client = signed_in(shop.alice)
    response = client.post(action(pooled, "claim"))
    assert "limit is 1" in refused(client, response, pooled)
    response = signed_in(shop.manager).post(action(pooled, "claim"))
    assert response.status_code == 302
    with as_dealer(shop.dealer):
        pooled.refresh_from_db()
        assert pooled.consultant == shop.manager and not pooled.in_pool


def test_follow_up_done_and_reschedule_from_pages(shop: Shop, other_shop: Shop, signed_in):
    lead = shop.lead(shop.alice)
    with as_dealer(shop.dealer):
        fu = FollowUp.objects.create(
            dealer=shop.dealer,
            lead=lead,
            customer=lead.customer,
            owner=shop.alice,
            kind="callback",
            due_at=timezone.now(),
        )
    bob = signed_in(shop.bob)
    url = reverse("leads:follow_up_action", args=[fu.pk, "done"])
    assert bob.post(url, {"result": "reached"}).status_code == 404
    alice = signed_in(shop.alice)
    move = reverse("leads:follow_up_action", args=[fu.pk, "reschedule"])
    # Refused from the lead's page: back there, the errors at that follow-up's form.
    response = alice.post(move, {"due_at": "", "reason": "", "next": detail(lead)})
    html = refused(alice, response, lead)
    assert f'data-testid="follow-up-errors-{fu.pk}"' in html
    # From another page (my day): back there, the errors said once in a message.
    response = alice.post(move, {"due_at": "", "reason": "", "next": reverse("leads:my_day")})
    assert response.status_code == 303 and response["Location"] == reverse("leads:my_day")
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert alice.post(move, {"due_at": tomorrow, "reason": "Asked to"}).status_code == 302
    assert alice.post(url, {"result": "nonsense"}).status_code == 303
    assert (
        alice.post(url, {"result": "reached", "next": "https://evil.example/"}).status_code == 302
    )
    with as_dealer(shop.dealer):
        fu.refresh_from_db()
        assert fu.result == "reached" and fu.reschedule_reason == "Asked to"


def test_settings_page_for_managers_only(shop: Shop, signed_in):
    assert signed_in(shop.alice).get(reverse("leads:lead_settings")).status_code == 403
    manager = signed_in(shop.manager)
    assert manager.get(reverse("leads:lead_settings")).status_code == 200
    bad = manager.post(
        reverse("leads:lead_settings"), {"routing": "dice", "stale_after_days": 0}, follow=True
    )
    assert bad.redirect_chain[-1] == (reverse("leads:lead_settings"), 303)
    assert "Select a valid choice" in bad.content.decode()
    with as_dealer(shop.dealer):
        assert not LeadSettings.objects.exists()
    ok = manager.post(
        reverse("leads:lead_settings"),
        {"routing": "load", "stale_after_days": 10, "max_open_leads": 40, "auto_reassign": "on"},
    )
    assert ok.status_code == 302
    with as_dealer(shop.dealer):
        s = LeadSettings.objects.get()
        assert (s.routing, s.max_open_leads, s.auto_reassign) == ("load", 40, True)


def test_guidance_expanded_in_the_first_weeks_of_a_membership(shop: Shop, signed_in):
    from dealers.models import Membership

    lead = shop.lead(shop.bob)
    Membership.objects.filter(user=shop.bob).update(
        started_on=timezone.localdate() - dt.timedelta(weeks=1)
    )
    html = signed_in(shop.bob).get(detail(lead)).content.decode()
    assert 'data-testid="onboarding-badge"' in html
    Membership.objects.filter(user=shop.bob).update(
        started_on=timezone.localdate() - dt.timedelta(weeks=52)
    )
    html = signed_in(shop.bob).get(detail(lead)).content.decode()
    assert 'data-testid="onboarding-badge"' not in html


def test_lead_list_filters_by_source_and_model(shop: Shop, signed_in):
    from inventory.models import VehicleModel
    from leads.models import LeadSource

    web = LeadSource.objects.get(code="web")
    x4 = VehicleModel.objects.get(code="X4")
    a = shop.lead(shop.alice, source=web, vehicle_model=x4)
    b = shop.lead(shop.alice)
    client = signed_in(shop.alice)
    html = client.get(reverse("leads:leads"), {"source": web.pk}).content.decode()
    assert a.customer.last_name in html and b.customer.last_name not in html
    html = client.get(reverse("leads:leads"), {"vehicle_model": x4.pk}).content.decode()
    assert a.customer.last_name in html and b.customer.last_name not in html
    # a bad filter value is a form error, not a crash
    assert client.get(reverse("leads:leads"), {"source": "abc"}).status_code == 200


def test_untouched_filter_bar_narrows_nothing(shop: Shop, signed_in):
    """Submitting the filter bar as the page shows it lists every open lead: Source and Model
    start empty ("---------"), not on the first source and model."""
    from leads.models import LeadSource

    sources = list(LeadSource.objects.order_by("name")[:2])
    leads = [shop.lead(shop.alice, source=source) for source in sources]
    client = signed_in(shop.manager)
    html = client.get(reverse("leads:leads")).content.decode()
    for name in ("source", "vehicle_model"):
        select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        assert '<option value="" selected>---------</option>' in select
    untouched = {
        "q": "",
        "status": "open",
        "stage": "",
        "grade": "",
        "consultant": "",
        "source": "",
        "vehicle_model": "",
    }
    html = client.get(reverse("leads:leads"), untouched).content.decode()
    assert all(lead.customer.last_name in html for lead in leads)
    html = client.get(reverse("leads:leads"), {"source": sources[0].pk}).content.decode()
    assert leads[0].customer.last_name in html and leads[1].customer.last_name not in html
    bad = client.get(reverse("leads:leads"), {"source": "nope"})
    assert bad.status_code == 200  # a clear form error, not a crash
    assert "Select a valid choice" in bad.content.decode()


def test_consultant_filter_lists_people_by_name(shop: Shop, signed_in):
    html = signed_in(shop.manager).get(reverse("leads:leads")).content.decode()
    select = html.split('name="consultant"', 1)[1].split("</select>", 1)[0]
    assert f'value="{shop.alice.pk}">Alice Able</option>' in select
    assert shop.alice.username not in select


def test_my_day_log_visit_button_opens_the_register_form(shop: Shop, signed_in):
    client = signed_in(shop.alice)
    html = client.get(reverse("leads:my_day")).content.decode()
    target = reverse("leads:visitor-log") + "#register-panel"
    assert f'href="{target}" data-testid="register-contact"' in html
    page = client.get(reverse("leads:visitor-log"))
    assert 'id="register-panel"' in page.content.decode()
    # the form's own URL only takes the form: a link or bookmark to it lands on the visitor log
    landed = client.get(reverse("leads:visit-register"))
    assert landed.status_code == 302 and landed["Location"] == target


def test_lead_list_dates_follow_the_readers_locale(shop: Shop, signed_in):
    from django.utils import translation
    from django.utils.formats import date_format

    lead = shop.lead(shop.alice)
    client = signed_in(shop.alice)
    for language in ("en", "ja"):
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        html = client.get(reverse("leads:leads")).content.decode()
        row = html.split(f'data-lead="{lead.pk}"', 1)[1].split("</tr>", 1)[0]
        with translation.override(language), timezone.override(shop.dealer.timezone):
            created = date_format(timezone.localtime(lead.created_at).date(), "SHORT_DATE_FORMAT")
        assert f'<td class="text-nowrap">{created}</td>' in row
