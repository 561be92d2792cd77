"""The client's IP address, the one way (login throttle, django-axes, DRF throttles, the audit
log and the session list all use it).

Behind reverse proxies, REMOTE_ADDR is the nearest proxy's address: every client would share
it, and the per-IP login throttle would become global. With DMS_TRUSTED_PROXY_COUNT = N (the
number of proxies in front of the app that append to X-Forwarded-For, e.g. 1 for one nginx), the
client is the N-th address from the right of X-Forwarded-For: entries further left were written
by the client itself and are ignored. With N = 0 (the default: the app is reached directly),
X-Forwarded-For is ignored entirely, so a spoofed header changes nothing.

django-ipware's proxy_count means "exactly this many entries" (strict: a client that sends its
own X-Forwarded-For gets no address at all, i.e. the proxy's) or picks the left-most entry (not
strict: the spoofable one), so the right-to-left rule above is written here; it is the rule of
Django REST framework's NUM_PROXIES, with every candidate validated as an IP address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str | None) -> str | None:
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "198.51.100.7:5555"
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "DMS_TRUSTED_PROXY_COUNT", 0) or 0))


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's IP address, or None without a request (or without any usable address)."""
    if request is None:
        return None
    meta = request.META
    proxies = trusted_proxy_count()
    if proxies:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            # Fewer entries than proxies: the request skipped the outer proxies; the left-most
            # entry is then what the first proxy that saw it wrote.
            found = _valid_ip(hops[-min(proxies, len(hops))])
            if found is not None:
                return found
    return _valid_ip(meta.get("REMOTE_ADDR"))
