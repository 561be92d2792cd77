"""Reads of the HQ catalogue (every signed-in user may read it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import LabourOperation, Part, PartSupersession, VehicleModel
from .services import MAX_CHAIN

_CURRENT_PARTS_SQL = """
WITH RECURSIVE chain (asked, part_id, depth) AS (
    SELECT p.number, p.id, 0 FROM inventory_part p WHERE p.number = ANY(%(numbers)s)
    UNION ALL
    SELECT c.asked, s.replaced_by_id, c.depth + 1
    FROM chain c
    JOIN inventory_partsupersession s ON s.part_id = c.part_id AND s.valid_from <= %(on)s
    WHERE c.depth < %(max_chain)s
)
SELECT DISTINCT ON (asked) asked, part_id FROM chain ORDER BY asked, depth DESC
"""


def current_parts(numbers: Iterable[str], *, on: dt.date) -> dict[str, Part]:
    """Each asked part number → the part in force on day `on`, following supersessions
    (A→B→C gives C once both replacements are valid). Unknown numbers are left out.
    Two queries whatever the number of parts."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_PARTS_SQL, {"numbers": wanted, "on": on, "max_chain": MAX_CHAIN})
        current_id = dict(cursor.fetchall())
    parts = Part.objects.select_related("group").in_bulk(set(current_id.values()))
    return {number: parts[pk] for number, pk in current_id.items()}


def supersession_chain(part: Part) -> list[PartSupersession]:
    """The replacements that follow `part`, in order (whatever their dates), for its page."""
    chain: list[PartSupersession] = []
    seen = {part.pk}
    row = PartSupersession.objects.select_related("replaced_by").filter(part=part).first()
    while row is not None and row.replaced_by_id not in seen and len(chain) < MAX_CHAIN:
        chain.append(row)
        seen.add(row.replaced_by_id)
        row = (
            PartSupersession.objects.select_related("replaced_by")
            .filter(part_id=row.replaced_by_id)
            .first()
        )
    return chain


# --- search --------------------------------------------------------------------------------------


def search_parts(queryset: QuerySet[Part], text: str) -> QuerySet[Part]:
    """Parts whose number starts with `text` (any case: the UPPER(number) index), or whose
    description holds every word of it."""
    text = " ".join(text.split())
    if not text:
        return queryset
    words = Q()
    for word in text.split()[:8]:
        words &= Q(description__icontains=word)
    return queryset.filter(Q(number__istartswith=text) | words)


def parts_list() -> QuerySet[Part]:
    return Part.objects.select_related("group", "supersession__replaced_by").order_by("number")


def part_detail(pk: int) -> Part | None:
    return Part.objects.select_related("group").filter(pk=pk).first()


def superseded_by(part: Part) -> list[PartSupersession]:
    """The parts `part` replaces (directly), for its page."""
    return list(
        PartSupersession.objects.filter(replaced_by=part)
        .select_related("part")
        .order_by("valid_from", "part__number")
    )


def labour_operations() -> QuerySet[LabourOperation]:
    return (
        LabourOperation.objects.select_related("grade")
        .prefetch_related(
            Prefetch("vehicle_models", queryset=VehicleModel.objects.order_by("code"))
        )
        .order_by("code")
    )


def vehicle_models() -> QuerySet[VehicleModel]:
    return VehicleModel.objects.annotate(
        trim_count=Count("trims", filter=Q(trims__is_active=True))
    ).order_by("code")
