"""Creates are idempotent against double submits: one mechanism for forms and the API.

A POST that carries a key (the `Idempotency-Key` header, or the `_idempotency_key` form field
that static/js/idempotency.js adds to every POST form) runs at most once per user and key:

1. the request runs inside one transaction that first inserts (user, key);
2. a second request with the same key blocks on that insert (PostgreSQL waits on the unique
   index for the first transaction), then finds the first answer and replays it: same status,
   same redirect, same body (`Idempotent-Replayed: true` says so);
3. a server error rolls the first request back, key included, so a retry runs afresh;
4. the same key on another path or method answers 422 and changes nothing.

POSTs without a key run as before (anonymous ones too: the key is per user).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
FORM_FIELD = "_idempotency_key"
_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,64}$")
MAX_BODY = 256 * 1024  # larger answers are replayed without their body (status and redirect)
# What a repeat must see of the first answer besides its body: where it redirected, what it is,
# and htmx's instructions (e.g. HX-Trigger: refresh the visitor list).
REPLAYED = ("Location", "Content-Type", "Content-Disposition")


def request_key(request: HttpRequest) -> str | None:
    raw = request.headers.get(HEADER)
    # Pages' plain forms send a field; the API reads its own body (DRF's parsers check it), so a
    # form field is only looked for outside /api/.
    if (
        raw is None
        and not request.path.startswith("/api/")
        and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        raw = request.POST.get(FORM_FIELD)
    return raw.strip() if raw else None


def _user_id(request: HttpRequest) -> int | None:
    access = getattr(request, "access", None)
    return getattr(access, "user_id", None)


def _replay(record: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(record.body or b""), status=record.status or 200)
    for name, value in (record.headers or {}).items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"  # (no-store: dms.security's NoStoreMiddleware)
    return response


def _refuse(message: str, status: int) -> HttpResponse:
    return JsonResponse({"detail": message}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        key = request_key(request)
        user_id = _user_id(request)
        if key is None or user_id is None:
            return self.get_response(request)
        if not _KEY.match(key):
            return _refuse(_("The idempotency key is not valid (8-64 letters, digits, -_:.)."), 400)
        with transaction.atomic():
            try:
                with transaction.atomic():  # savepoint: a conflict leaves the outer one usable
                    record = IdempotentRequest.objects.create(
                        user_id=user_id, key=key, method=request.method, path=request.path[:500]
                    )
            except IntegrityError:
                # Another request with this key committed first (we waited for it): replay.
                record = IdempotentRequest.objects.get(user_id=user_id, key=key)
                if record.method != request.method or record.path != request.path[:500]:
                    return _refuse(
                        _("This idempotency key was already used for another request."), 422
                    )
                return _replay(record)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing happened: a retry runs afresh
                return response
            self._store(record, response)
            return response

    @staticmethod
    def _store(record: IdempotentRequest, response: HttpResponse) -> None:
        body = b""
        streaming = getattr(response, "streaming", False)
        if not streaming and len(response.content) <= MAX_BODY:
            body = response.content
        headers = {
            name: value
            for name, value in response.headers.items()
            if name in REPLAYED or name.lower().startswith("hx-")
        }
        IdempotentRequest.objects.filter(pk=record.pk).update(
            status=response.status_code, headers=headers, body=body
        )
