from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class PasswordHistoryValidator:
    """Refuse any of the user's last N passwords, the current one included.

    Every password a user is given is kept as a hash in PasswordHistory (a post_save signal in
    dms.security.signals, so admin resets and the demo seed count too); the newest N are kept."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None or not password:
            return
        from .models import PasswordHistory

        recent = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[
                : self.history
            ]
        )
        if user.password and user.password not in recent:
            recent.insert(0, user.password)  # accounts from before the history existed
        if any(check_password(password, encoded) for encoded in recent[: self.history]):
            raise ValidationError(
                ngettext(
                    "You used this password recently. Choose one that is not your last password.",
                    "You used this password recently. Choose one that is not one of your last "
                    "%(n)d passwords.",
                    self.history,
                )
                % {"n": self.history},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password cannot be your last password.",
            "Your password cannot be one of your last %(n)d passwords.",
            self.history,
        ) % {"n": self.history}
