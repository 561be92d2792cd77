"""One row per (user, idempotency key): the answer a create gave, replayed to a retry."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A user's submission and the answer it got. Not tenant data: it belongs to the user's
    session like the session row itself (it stores the answer the user already saw, nothing
    another user could read), and it is swept after a day (dms.idempotency.tasks)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True)  # null while the first one runs
    headers = models.JSONField(default=dict)  # the answer's headers a repeat needs (see REPLAYED)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
