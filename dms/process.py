"""Settling a web process after start-up (dms.wsgi; the page benchmarks do the same).

What is alive once Django has started (apps, models, the URL conf and the views it imports,
translations) lives as long as the process. gc.freeze() moves it out of the garbage collector's
reach, so a full collection only walks what requests left behind: on the HQ network page a full
collection paused a request for 85-100 ms every ~15 requests before, and 1-5 ms after (the p95
went from ~140 to ~65 ms; bench/README.md).
"""

from __future__ import annotations

import gc


def settle_process() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now, not per worker later
    gc.collect()
    gc.freeze()
