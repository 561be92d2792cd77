from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from dealers.clock import home_zone
from dealers.selectors import NO_ACCESS


def tenancy(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", NO_ACCESS)
    # The zone the page's times are in, named when it is not the reader's own (HQ viewing a
    # dealer in another zone).
    shown = str(timezone.get_current_timezone())
    other_zone = shown if access.user_id and shown != str(home_zone(access)) else ""
    return {"access": access, "times_zone": other_zone}
