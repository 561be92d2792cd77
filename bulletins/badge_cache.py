"""The menu badge's cache: a user's inbox counts at one dealer, kept for a minute and dropped
whenever they could change — the user opens or acknowledges something, joins or leaves (their
key), or HQ publishes, revises or withdraws a bulletin (one network-wide generation number
that every key carries, so one write makes every cached count stale). A deadline passing or
`live_until` ending shows within the minute. A miss costs the one aggregate query.

Both keys are read in one round trip (`get_many`)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "bulletins:badge:generation"
TIMEOUT = 60  # seconds


def user_key(user_id: int, dealer_id: int) -> str:
    return f"bulletins:badge:{dealer_id}:{user_id}"


def read(user_id: int, dealer_id: int) -> tuple[Any, Any]:
    """(generation, cached value or None)."""
    key = user_key(user_id, dealer_id)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is not None and isinstance(entry, tuple) and entry[0] == generation:
        return generation, entry[1]
    return generation, None


def write(user_id: int, dealer_id: int, generation: Any, value: Any) -> None:
    if generation is None:
        generation = cache.get_or_set(GENERATION_KEY, 1, timeout=None)
    cache.set(user_key(user_id, dealer_id), (generation, value), timeout=TIMEOUT)


def forget_user(user_id: int, dealer_id: int) -> None:
    transaction.on_commit(lambda: cache.delete(user_key(user_id, dealer_id)))


def forget_everyone() -> None:
    def bump() -> None:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not set yet (or evicted): any new value invalidates
            cache.set(GENERATION_KEY, 2, timeout=None)

    transaction.on_commit(bump)
