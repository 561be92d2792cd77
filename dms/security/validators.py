from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class PasswordHistoryValidator:
    """Refuse any of the user's last N passwords (current one included)."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        recent = [user.password] if user.password else []
        recent += list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.history
            ]
        )
        if any(check_password(password, encoded) for encoded in recent[: self.history]):
            raise ValidationError(
                _("You used this password recently. Choose one you have not used in your last %(n)d passwords.")
                % {"n": self.history},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be one of your last %(n)d passwords.") % {"n": self.history}
