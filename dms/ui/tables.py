"""Table pieces every django-tables2 list shares: bounded paging and the Bootstrap table."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

NOWRAP = {"td": {"class": "text-nowrap"}}


class BoundedPaging:
    """Mixin for tables: `?per_page=` and `?page=` from the query string within what a person
    pages through (django-tables2 takes any integer: per_page=-1 crashed every page, and a
    page of 10^20 overflowed the database's OFFSET)."""

    MAX_PER_PAGE = 200
    MAX_PAGE = 100_000

    def paginate(
        self, *args: Any, per_page: int | None = None, page: int = 1, **kwargs: Any
    ) -> None:
        if per_page is not None and not 0 < per_page <= self.MAX_PER_PAGE:
            per_page = None  # the table's default page size
        page = min(max(page, 1), self.MAX_PAGE)
        super().paginate(*args, per_page=per_page, page=page, **kwargs)  # type: ignore[misc]


class BaseTable(BoundedPaging, tables.Table):
    class Meta:
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("Nothing to show.")
