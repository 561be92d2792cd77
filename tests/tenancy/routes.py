"""Every URL pattern of the project, enumerated from the resolver (never a hand list), and how to
build a concrete URL for it with a given object id.

A route's keyword arguments are either *object* arguments (pk, id, *_id, *_pk, and any other
int/str/path/slug argument: they name something that could belong to a dealer) or arguments
with a known non-object meaning listed in NON_OBJECT_KWARGS (format suffixes, the admin's app
label ...). Object arguments get the id under test; a value that does not resolve back to the
same route makes the route unexercisable, which the matrix reports as a failure until the route
is declared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize


def _admin_app_labels(route: Route) -> list[str]:
    from django.contrib import admin

    return sorted({model._meta.app_label for model in admin.site._registry})


def _first_tenant_content_type(route: Route) -> list[Any]:
    from django.contrib.contenttypes.models import ContentType

    from dealers.models import StaffAbsence

    return [ContentType.objects.get_for_model(StaffAbsence).pk]


def _action(route: Route) -> list[str]:
    # leads:lead_action / leads:follow_up_action take a verb; use one that changes data.
    return ["done"] if route.name == "leads:follow_up_action" else ["stage"]


# Arguments that do not name an object: candidate values, tried in order until one resolves back
# to the same route. A callable gets the route and runs when the URL is built (database access
# allowed).
NON_OBJECT_KWARGS: dict[str, list[Any] | Callable[[Route], list[Any]]] = {
    "format": ["json", ".json"],  # DRF format suffixes (api-root puts the dot in the group)
    "app_label": _admin_app_labels,  # admin app index
    # admin "view on site" redirect: which model the object id is of (a tenant model)
    "content_type_id": _first_tenant_content_type,
    "action": _action,  # verb routes of the sales funnel
}

OBJECT_KWARG = re.compile(r"^(pk|id|object_id|.*_id|.*_pk)$")


@dataclass(frozen=True)
class Route:
    display: str  # e.g. "network/absences/<pk>/edit/"
    regex: str
    name: str | None  # namespaced, e.g. "admin:auth_group_change"
    callback: Callable[..., Any] = field(compare=False)
    kwargs: tuple[str, ...]
    converters: dict[str, Any] = field(compare=False, hash=False)

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(k for k in self.kwargs if k not in NON_OBJECT_KWARGS)

    @property
    def is_api(self) -> bool:
        from rest_framework.views import APIView

        cls = getattr(self.callback, "cls", None)
        return isinstance(cls, type) and issubclass(cls, APIView)

    @property
    def is_admin(self) -> bool:
        return (self.name or "").startswith("admin:") or self.display.startswith("admin/")

    def implemented_methods(self) -> frozenset[str] | None:
        """HTTP methods the view has a handler for, when the view says so: class-based views,
        DRF views and viewsets, function views under require_http_methods/require_GET/
        require_POST (whose 405 comes before the view body). None: any method may reach it."""
        actions = getattr(self.callback, "actions", None)
        if actions:  # DRF viewset route: method -> action
            return frozenset(m.upper() for m in actions)
        cls = getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        if cls is not None:
            return frozenset(m.upper() for m in cls.http_method_names if hasattr(cls, m))
        return _required_methods(self.callback)

    @property
    def view_name(self) -> str:
        cls = getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        target = cls or self.callback
        return f"{target.__module__}.{getattr(target, '__qualname__', target)}"

    def build(self, object_value: Any) -> tuple[str | None, str]:
        """The URL with every object argument set to `object_value` (and non-object arguments
        to a value that resolves), or (None, why) when no such URL reaches this route."""
        choices: dict[str, list[Any]] = {}
        for name in self.kwargs:
            if name in NON_OBJECT_KWARGS:
                values = NON_OBJECT_KWARGS[name]
                choices[name] = list(values(self) if callable(values) else values)
            else:
                choices[name] = [object_value]
        fmt = normalize(self.regex)[0][0]
        for combo in _combinations(choices):
            try:
                url = "/" + fmt % {k: self._to_url(k, v) for k, v in combo.items()}
            except (ValueError, KeyError):
                continue
            if self._resolves_here(url, combo):
                return url, ""
        tried = ", ".join(f"{k}={v}" for k, v in choices.items())
        return None, f"no URL built from {tried} resolves back to this route"

    def _to_url(self, name: str, value: Any) -> str:
        converter = self.converters.get(name)
        return str(converter.to_url(value)) if converter else str(value)

    def _resolves_here(self, url: str, combo: dict[str, Any]) -> bool:
        try:
            match = resolve(url)
        except Resolver404:
            return False
        if match.func is not self.callback:
            return False
        return {k: str(v) for k, v in match.kwargs.items() if k in combo} == {
            k: str(v) for k, v in combo.items()
        }


_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


def _required_methods(func: Any) -> frozenset[str] | None:
    """The method list a django.views.decorators.http.require_http_methods wrapper closes over,
    anywhere in the __wrapped__ chain of a function view."""
    seen: set[int] = set()
    while callable(func) and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(isinstance(m, str) and m.upper() in _HTTP_METHODS for m in value)
            ):
                return frozenset(m.upper() for m in value)
        func = getattr(func, "__wrapped__", None)
    return None


def _combinations(choices: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    if not choices:
        yield {}
        return
    name, values = next(iter(choices.items()))
    rest = dict(list(choices.items())[1:])
    for value in values:
        for tail in _combinations(rest):
            yield {name: value, **tail}


def _walk(
    patterns: list[Any], prefix: str, namespace: str, converters: dict[str, Any]
) -> Iterator[tuple[str, str, URLPattern, dict[str, Any]]]:
    for entry in patterns:
        regex = entry.pattern.regex.pattern.removeprefix("^")
        entry_converters = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + regex, ns, entry_converters)
        else:
            yield prefix + regex, namespace, entry, entry_converters


def enumerate_routes() -> list[Route]:
    routes: list[Route] = []
    seen: dict[str, int] = {}
    for regex, namespace, pattern, converters in _walk(get_resolver().url_patterns, "", "", {}):
        fmt, params = normalize(regex)[0]
        display = fmt % {p: f"<{p}>" for p in params}
        seen[display] = seen.get(display, 0) + 1
        if seen[display] > 1:
            display = f"{display}#{seen[display]}"
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        kwargs = tuple(dict.fromkeys(re.findall(r"\(\?P<(\w+)>", regex)))
        routes.append(
            Route(
                display=display,
                regex=regex,
                name=name,
                callback=pattern.callback,
                kwargs=kwargs,
                converters={k: v for k, v in converters.items() if k in kwargs},
            )
        )
    return routes
