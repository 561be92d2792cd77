"""One page of a list page's rows, for templates/includes/pager.html.

Every list page that is not a django-tables2 table (those page with dms.ui.tables.BoundedPaging)
shows its rows through `paginate`: no page loads more than `per_page` rows, every row stays
reachable, and the pager's links keep the list's filters. A page number that is not one never
errors: not a number (or below 1) is the first page, beyond the end the last one.

    page = paginate(request, rows, keep={"status": status})
    return render(request, "...", {"rows": page.object_list, **page.context})

and in the template: `{% include "includes/pager.html" %}` (a second list on the same page uses
its own `param` and `{% include "includes/pager.html" with page=... query=... page_param=... %}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 50
# A page number is at most this many digits: anything longer is not a page anybody asked for
# (and int() of a huge string costs time).
_MAX_DIGITS = 9


@dataclass(frozen=True)
class Paged:
    page: Page
    query: str  # the list's filters as a query string, without the page number
    param: str

    @property
    def object_list(self) -> Any:
        return self.page.object_list

    @property
    def context(self) -> dict[str, Any]:
        """What includes/pager.html reads."""
        return {"page": self.page, "query": self.query, "page_param": self.param}


def page_number(raw: str | None) -> int:
    """The page asked for: a positive whole number, else 1."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        return 1
    return max(int(text), 1)


def filters_query(
    request: HttpRequest, keep: Mapping[str, Any] | Sequence[str] | None, param: str
) -> str:
    """The query string of the list's filters for the pager's links.

    `keep` as a mapping: exactly these (already validated) values, empty ones left out; as a
    sequence of names: those parameters of the request; None: every parameter of the request but
    this list's page number."""
    if isinstance(keep, Mapping):
        pairs = [(k, str(v)) for k, v in keep.items() if v not in (None, "")]
    else:
        names = None if keep is None else set(keep)
        pairs = [
            (k, v)
            for k, values in request.GET.lists()
            if k != param and (names is None or k in names)
            for v in values
            if v != ""
        ]
    return urlencode(pairs)


def paginate(
    request: HttpRequest,
    rows: Any,
    *,
    per_page: int | None = None,
    param: str = "page",
    keep: Mapping[str, Any] | Sequence[str] | None = None,
) -> Paged:
    """The page of `rows` (a queryset or list) the request asks for with `?<param>=`; `per_page`
    defaults to PER_PAGE."""
    paginator = Paginator(rows, per_page or PER_PAGE)
    number = min(page_number(request.GET.get(param)), paginator.num_pages)
    return Paged(
        page=paginator.page(number), query=filters_query(request, keep, param), param=param
    )
