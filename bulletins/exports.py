"""The compliance export (CSV or XLSX through dms.tabular): one row per staff member the
bulletin reaches within the caller's view, audited like every other export."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from dealers.roles import DealerRole
from dealers.selectors import Access
from dms import tabular
from dms.audit.models import AuditAction
from dms.audit.services import record

from . import selectors


def _status(line: selectors.StaffLine, requires_ack: bool) -> str:
    if line.acknowledged_at:
        return _("acknowledged")
    if line.overdue:
        return _("overdue")
    if not requires_ack:
        return _("opened") if line.opened_at else _("unread")
    return _("opened, not acknowledged") if line.opened_at else _("unread")


def _iso(value: Any) -> str:
    return value.isoformat(timespec="minutes") if value else ""


def compliance_file(
    *,
    access: Access,
    bulletin_id: int,
    file_format: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> tuple[bytes, str]:
    """The file and its name (without extension). Times are ISO 8601 with their UTC offset."""
    bulletin, people = selectors.compliance_people(access=access, bulletin_id=bulletin_id)
    header = [
        _("Region"),
        _("Dealer code"),
        _("Dealer"),
        _("Staff member"),
        _("Role"),
        _("Status"),
        _("Opened"),
        _("Acknowledged"),
    ]
    roles = dict(DealerRole.choices)
    rows = [
        [
            dealer.region,
            line.dealer_code,
            dealer.name,
            line.name,
            str(roles.get(line.role, line.role)),
            _status(line, bulletin.requires_ack),
            _iso(line.opened_at),
            _iso(line.acknowledged_at),
        ]
        for dealer, line in people
    ]
    content = tabular.table_content(file_format, header, rows, title=_("Compliance"))
    record(
        action=AuditAction.EXPORT,
        actor=actor,
        dealer=None if access.is_hq else access.dealer,
        obj=bulletin,
        count=len(rows),
        request=request,
        detail={"export": "bulletin_compliance", "format": file_format, "bulletin": bulletin.pk},
    )
    return content, f"bulletin-{bulletin.pk}-compliance"
