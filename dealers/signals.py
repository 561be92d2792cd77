"""Signals that dealers/ sends for the layers above it (which may import dealers, never the
reverse): they connect a receiver in their AppConfig.ready().

`membership_changed(membership=...)`: sent inside the transaction of every service that grants,
re-activates, deactivates or changes the role of a membership (dealers.services), after the row
is saved. Receivers run in that transaction (a failing receiver rolls the change back: the
membership and what hangs on it stay consistent) and open their own tenant scope for the
membership's dealer when they write tenant rows — the sender may be an HQ user whose request
scope is read-only.
"""

from __future__ import annotations

from django.dispatch import Signal

membership_changed = Signal()
