"""Rules on accounts shared by every place that creates or edits a user (HQ and dealer-admin
forms, the services behind them): one active account per e-mail address, case-insensitive."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .models import EMAIL_TAKEN_MESSAGE


def email_in_use(email: str, *, exclude_pk: int | None = None) -> bool:
    """Does another active account use this address (any case)? Blank addresses never clash."""
    email = (email or "").strip()
    if not email:
        return False
    others = get_user_model().objects.filter(is_active=True, email__iexact=email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def validate_email_available(email: str, *, exclude_pk: int | None = None) -> None:
    """Raise a field error on `email` when another active account already uses the address."""
    if email_in_use(email, exclude_pk=exclude_pk):
        raise ValidationError({"email": EMAIL_TAKEN_MESSAGE}, code="email_taken")
