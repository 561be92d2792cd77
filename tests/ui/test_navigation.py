"""The one navigation declaration (dms/navigation.py) is consistent."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from dealers.roles import DEALER_ROLE_CAPS, HQ_ROLE_CAPS, Cap
from dms.navigation import ITEMS, SECTIONS

KNOWN_CAPS = {value for name, value in vars(Cap).items() if name.isupper()}


def test_every_item_names_known_capabilities_and_section():
    sections = {s.key for s in SECTIONS}
    keys = [item.key for item in ITEMS]
    assert len(keys) == len(set(keys)), "navigation keys must be unique"
    for item in ITEMS:
        assert item.section in sections, item.key
        assert set(item.capabilities) <= KNOWN_CAPS, item.key
        if item.coming_soon:
            assert str(item.coming_text), f"{item.key}: say what is coming"


def test_every_built_item_resolves_to_a_url():
    for item in ITEMS:
        if not item.coming_soon:
            reverse(item.url_name)


def test_coming_items_are_not_wired_to_missing_pages_silently():
    """A "coming soon" entry whose URL now exists should be switched on in dms/navigation.py."""
    ready = []
    for item in ITEMS:
        if item.coming_soon:
            try:
                reverse(item.url_name)
            except NoReverseMatch:
                continue
            ready.append(item.key)
    if ready:
        pytest.fail(f"these modules exist now; clear coming_soon in dms/navigation.py: {ready}")


def test_every_role_has_something_beyond_the_dashboard():
    from dealers.selectors import Access
    from dms.navigation import items_for

    for role, caps in {**DEALER_ROLE_CAPS, **HQ_ROLE_CAPS}.items():
        is_hq = role.startswith("hq_")
        access = Access(
            user_id=1,
            role=role,
            membership=None if is_hq else object(),  # type: ignore[arg-type]
            dealer=object(),  # type: ignore[arg-type]
            dealer_ids=(1,),
            writable=not is_hq,
            capabilities=caps,
        )
        keys = {item.key for item in items_for(access)}
        assert keys - {"dashboard"}, role


def test_active_entry_follows_the_page_path():
    from dms.navigation import _active_url

    urls = ["/", "/sales/customers/", "/sales/visits/", "/network/staff/", ""]
    assert _active_url(urls, "/") == "/"
    assert _active_url(urls, "/sales/customers/") == "/sales/customers/"
    assert _active_url(urls, "/sales/customers/12/edit/") == "/sales/customers/"
    assert _active_url(urls, "/account/two_factor/") == ""
