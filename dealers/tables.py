"""django-tables2 tables of the network pages (sortable, paginated)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from dms.ui.tables import NOWRAP, BaseTable

from .models import Dealer, Membership, Region, StaffAbsence


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class AbsenceTable(BaseTable):
    person = tables.Column(
        verbose_name=_("Staff member"),
        accessor="membership__user__last_name",
        order_by=("membership__user__last_name", "membership__user__first_name"),
    )
    dealer = tables.Column(verbose_name=_("Dealer"), accessor="dealer__code")
    starts_on = tables.DateColumn(verbose_name=_("From"), format="Y-m-d", attrs=NOWRAP)
    ends_on = tables.DateColumn(verbose_name=_("Until"), format="Y-m-d", attrs=NOWRAP)
    reason = tables.Column(verbose_name=_("Reason"))
    note = tables.Column(verbose_name=_("Note"), orderable=False)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs=NOWRAP)

    class Meta(BaseTable.Meta):
        model = StaffAbsence
        fields = ["person", "dealer", "starts_on", "ends_on", "reason", "note"]
        sequence = ["person", "dealer", "starts_on", "ends_on", "reason", "note", "actions"]

    def __init__(self, *args: Any, can_manage: bool = False, show_dealer: bool = False, **kw: Any):
        exclude = list(kw.pop("exclude", ()) or ())
        if not show_dealer:
            exclude.append("dealer")
        if not can_manage:
            exclude.append("actions")
        super().__init__(*args, exclude=exclude, **kw)

    def render_person(self, record: StaffAbsence) -> str:
        return _person(record.membership.user)

    def render_actions(self, record: StaffAbsence) -> str:
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a> '
            '<a class="btn btn-sm btn-outline-danger" href="{}">{}</a>',
            reverse("dealers:absence-edit", args=[record.pk]),
            _("Edit"),
            reverse("dealers:absence-delete", args=[record.pk]),
            _("Delete"),
        )


class StaffTable(BaseTable):
    name = tables.Column(
        verbose_name=_("Name"),
        accessor="user__last_name",
        order_by=("user__last_name", "user__first_name"),
    )
    username = tables.Column(verbose_name=_("Username"), accessor="user__username")
    email = tables.EmailColumn(verbose_name=_("E-mail"), accessor="user__email")
    role = tables.Column(verbose_name=_("Role"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))
    started_on = tables.DateColumn(verbose_name=_("Started on"), format="Y-m-d", attrs=NOWRAP)
    leaving_on = tables.DateColumn(verbose_name=_("Leaving on"), format="Y-m-d", attrs=NOWRAP)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs=NOWRAP)

    class Meta(BaseTable.Meta):
        model = Membership
        fields = ["name", "username", "email", "role", "is_active", "started_on", "leaving_on"]

    def __init__(self, *args: Any, can_manage: bool = False, **kw: Any):
        super().__init__(*args, exclude=() if can_manage else ("actions",), **kw)

    def render_name(self, record: Membership) -> str:
        return _person(record.user)

    def render_actions(self, record: Membership) -> str:
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a>',
            reverse("dealers:membership-edit", args=[record.pk]),
            _("Change"),
        )


class RegionTable(BaseTable):
    code = tables.Column(verbose_name=_("Code"), linkify=("dealers:region-edit", [tables.A("pk")]))
    name = tables.Column(verbose_name=_("Name"))
    dealer_count = tables.Column(verbose_name=_("Dealers"))
    managers = tables.Column(verbose_name=_("Regional managers"), empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = Region
        fields = ["code", "name", "dealer_count"]

    def render_managers(self, record: Region) -> str:
        users = [perm.user for perm in getattr(record, "manager_perms", [])]
        if not users:
            return "—"
        return ", ".join(sorted(_person(u) for u in users))


class DealerTable(BaseTable):
    code = tables.Column(verbose_name=_("Code"), linkify=("dealers:dealer-edit", [tables.A("pk")]))
    name = tables.Column(verbose_name=_("Name"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name")
    group = tables.Column(verbose_name=_("Dealer group"), accessor="group__name")
    city = tables.Column(verbose_name=_("City"))
    timezone = tables.Column(verbose_name=_("Time zone"))
    staff_count = tables.Column(verbose_name=_("Active staff"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta(BaseTable.Meta):
        model = Dealer
        fields = [
            "code",
            "name",
            "region",
            "group",
            "city",
            "timezone",
            "staff_count",
            "is_active",
        ]


class UserTable(BaseTable):
    username = tables.Column(
        verbose_name=_("Username"), linkify=("dealers:user-detail", [tables.A("pk")])
    )
    name = tables.Column(
        verbose_name=_("Name"), accessor="last_name", order_by=("last_name", "first_name")
    )
    email = tables.EmailColumn(verbose_name=_("E-mail"))
    hq_role = tables.Column(verbose_name=_("HQ role"))
    roles = tables.Column(verbose_name=_("Dealer roles"), empty_values=(), orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))
    last_login = tables.DateTimeColumn(verbose_name=_("Last login"), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = get_user_model()
        fields = ["username", "name", "email", "hq_role", "roles", "is_active", "last_login"]

    def render_name(self, record: Any) -> str:
        return _person(record)

    def render_roles(self, record: Any) -> str:
        memberships = [m for m in record.memberships.all() if m.is_active]
        if not memberships:
            return "—"
        return format_html_join(
            ", ",
            '{} <span class="text-body-secondary">{}</span>',
            ((m.dealer.code, m.get_role_display()) for m in memberships),
        )
