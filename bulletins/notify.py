"""How bulletin reminders reach people: the in-app notification, through a hook.

The in-app notification (model and `notify`) lives in leads/, a layer above bulletins/ (DESIGN:
core → dealers → HQ data → the dealer's work), so bulletins/ must not import it. leads/ hands
its `notify` over in its AppConfig.ready() (`set_notifier`); `deliver` refuses loudly when no
notifier was registered instead of dropping reminders silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Notifier(Protocol):
    def __call__(
        self, *, user_ids: list[int], dealer_id: int, kind: str, text: Callable[[], str], url: str
    ) -> Any: ...


_notifier: list[Notifier] = []


def set_notifier(notifier: Notifier) -> None:
    _notifier[:] = [notifier]


def deliver(
    *, user_ids: list[int], dealer_id: int, kind: str, text: Callable[[], str], url: str = ""
) -> None:
    """One notification per user (in each reader's language), in the caller's transaction."""
    if not user_ids:
        return
    if not _notifier:
        raise ImproperlyConfigured("no bulletin notifier registered (leads app not installed?)")
    _notifier[0](user_ids=user_ids, dealer_id=dealer_id, kind=kind, text=text, url=url)
