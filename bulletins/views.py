"""Bulletin pages (issue 14): the dealer staff's inbox and reading page with one-click
acknowledgement; HQ's list, draft editor, preview, publish / revise / withdraw; the compliance
dashboard (HQ over its regions, a dealer's managers over their own staff) and its export.

Thin: each route declares who may open it (bulletins/urls.py); objects are looked up through
the selectors in the caller's scope (not targeted, missing and withdrawn answer 404 alike);
every write goes through bulletins.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.access import BULLETIN_STAFF_STATUS
from dealers.roles import Cap, DealerRole
from dealers.selectors import Access, request_access
from dms import navigation, tabular
from dms.paging import paginate

from . import attachments, badges, exports, selectors, services
from .forms import INBOX_FILTERS, DraftForm, ReviseForm, WithdrawForm
from .inbox_html import inbox_rows_html
from .models import Bulletin, BulletinAttachment, BulletinRecipient

INBOX_PER_PAGE = 25
HQ_PER_PAGE = 25
STAFF_LIST_LIMIT = 200  # people listed in the page; the export has all of them


def _safe_body(bulletin: Any) -> str:
    """The body as stored is nh3-cleaned by the services on every save; cleaning once more when
    shown costs little and keeps the page safe even for a row written some other way."""
    return mark_safe(services.sanitise(bulletin.body))  # noqa: S308 (cleaned by nh3 just now)


# --- dealer staff ---------------------------------------------------------------------------------


class _Counted:
    """The inbox rows with their count known already (from `inbox_counts`): the pager does not
    count the user's 5,000 rows a second time."""

    def __init__(self, rows: Any, count: int) -> None:
        self.rows, self._count = rows, count

    def count(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]


def inbox(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in INBOX_FILTERS:
        show = "all"
    rows = selectors.inbox(user=request.user)
    if show == "unread":
        rows = rows.filter(selectors.UNREAD)
    elif show == "ack":
        rows = rows.filter(selectors.UNACKNOWLEDGED)
    counts = selectors.inbox_counts(user=request.user)
    request.bulletin_counts = counts  # type: ignore[attr-defined]  # the menu badge reuses them
    known = {"all": counts.total, "unread": counts.unread, "ack": counts.unacknowledged}[show]
    page = paginate(request, _Counted(rows, known), per_page=INBOX_PER_PAGE, keep={"show": show})
    shown = list(page.object_list)
    tabs = [
        (
            key,
            label,
            {"all": counts.total, "unread": counts.unread, "ack": counts.unacknowledged}[key],
        )
        for key, label in INBOX_FILTERS.items()
    ]
    return render(
        request,
        "bulletins/inbox.html",
        {
            "rows": shown,
            "rows_html": inbox_rows_html(shown),
            **page.context,
            "show": show,
            "tabs": tabs,
            "counts": counts,
            "can_team": BULLETIN_STAFF_STATUS.admits(request_access(request), authenticated=True),
        },
    )


def _my_row(request: HttpRequest, bulletin: Bulletin) -> BulletinRecipient | None:
    user: Any = request.user
    return BulletinRecipient.objects.filter(
        bulletin_id=bulletin.pk, user_id=user.pk, retired_at__isnull=True
    ).first()


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.bulletin_for_reader(user=request.user, pk=pk)
    services.open_bulletin(user=request.user, bulletin=bulletin)
    row = _my_row(request, bulletin)
    versions = list(selectors.versions_of(bulletin))
    return render(
        request,
        "bulletins/detail.html",
        {
            "bulletin": bulletin,
            "body": _safe_body(bulletin),
            "row": row,
            "acked": _acked(bulletin, row),
            "versions": versions,
            "latest": versions[0] if versions else None,
            "attachments": _attachments(bulletin),
            "overdue": _overdue(bulletin, row),
        },
    )


def _attachments(bulletin: Bulletin) -> list[BulletinAttachment]:
    return list(BulletinAttachment.objects.filter(bulletin=bulletin).order_by("filename", "pk"))


def _acked(bulletin: Bulletin, row: BulletinRecipient | None) -> bool:
    return bool(row and bulletin.requires_ack and row.acknowledged_version >= bulletin.ack_version)


def _overdue(bulletin: Bulletin, row: BulletinRecipient | None) -> bool:
    return bool(
        bulletin.requires_ack
        and not _acked(bulletin, row)
        and bulletin.ack_deadline
        and bulletin.ack_deadline <= timezone.now()
    )


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.bulletin_for_reader(user=request.user, pk=pk)
    error = ""
    row: BulletinRecipient | None
    try:
        row = services.acknowledge(user=request.user, bulletin=bulletin)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        row = _my_row(request, bulletin)
    bulletin.refresh_from_db()
    context = {
        "bulletin": bulletin,
        "row": row,
        "acked": _acked(bulletin, row),
        "overdue": _overdue(bulletin, row),
        "error": error,
    }
    if getattr(request, "htmx", False):
        # The menu badge, refreshed out of band (its cached counts go at commit).
        request.bulletin_counts = selectors.inbox_counts(user=request.user)  # type: ignore[attr-defined]
        context["badge"] = mark_safe(  # noqa: S308 (format_html output)
            navigation.badge_slot("bulletins", badges.inbox_badge(request), oob=True)
        )
        return render(request, "bulletins/_ack.html", context)
    if error:
        messages.error(request, error)
    return redirect("bulletins:detail", pk=bulletin.pk)


def team(request: HttpRequest) -> HttpResponse:
    """A dealer's managers: each bulletin that reached the dealer, with their staff's progress."""
    access = request_access(request)
    if access.dealer is None:  # the route admits the dealer's staff only
        raise Http404
    rows = selectors.dealer_bulletins(dealer_id=access.dealer.pk)
    page = paginate(request, rows, per_page=HQ_PER_PAGE)
    return render(request, "bulletins/team.html", {"rows": page.object_list, **page.context})


# --- HQ -------------------------------------------------------------------------------------------


def _can_write(access: Access) -> bool:
    return access.is_hq and access.can(Cap.NETWORK_ADMIN)


def targets_summary(bulletin: Bulletin) -> dict[str, Any]:
    roles = [str(DealerRole(r).label) for r in bulletin.target_roles if r in DealerRole.values]
    return {
        "all": bulletin.all_dealers,
        "regions": [r.name for r in bulletin.target_regions.all()],
        "groups": [g.name for g in bulletin.target_groups.all()],
        "dealers": [d.code for d in bulletin.target_dealers.all()],
        "roles": roles,
    }


def hq_list(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    rows = selectors.hq_bulletins(status=status, category=category)
    page = paginate(
        request, rows, per_page=HQ_PER_PAGE, keep={"status": status, "category": category}
    )
    bulletins = list(page.object_list)
    figures = selectors.progress(bulletins=bulletins, dealer_ids=access.dealer_ids)
    lines = [
        {"bulletin": b, "targets": targets_summary(b), "progress": figures.get(b.pk)}
        for b in bulletins
    ]
    return render(
        request,
        "bulletins/hq_list.html",
        {
            "lines": lines,
            **page.context,
            "status": status,
            "category": category,
            "statuses": Bulletin.Status.choices,
            "categories": Bulletin.Category.choices,
            "can_write": _can_write(access),
        },
    )


def _draft_fields(form: DraftForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "body": data["body"],
        "category": data["category"],
        "priority": data["priority"],
        "requires_ack": data["requires_ack"],
        "ack_deadline": data["ack_deadline"],
        "live_until": data["live_until"],
        "all_dealers": data["all_dealers"],
        "regions": list(data["regions"]),
        "groups": list(data["groups"]),
        "dealers": list(data["dealers"]),
        "roles": list(data["roles"]),
    }


def hq_create(request: HttpRequest) -> HttpResponse:
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = services.create_draft(
                actor=request.user, request=request, **_draft_fields(form)
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Draft saved. Check the preview, then publish it."))
            return redirect("bulletins:hq_detail", pk=bulletin.pk)
    return render(request, "bulletins/hq_form.html", {"form": form, "bulletin": None})


def _hq_bulletin(pk: int) -> Bulletin:
    return get_object_or_404(
        Bulletin.objects.prefetch_related("target_regions", "target_groups", "target_dealers"),
        pk=pk,
    )


def hq_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    if bulletin.status != Bulletin.Status.DRAFT:
        messages.info(request, _("A published bulletin changes through a revision."))
        return redirect("bulletins:hq_revise", pk=bulletin.pk)
    form = DraftForm(request.POST or None, initial=DraftForm.initial_of(bulletin))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft(
                bulletin=bulletin, actor=request.user, request=request, **_draft_fields(form)
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("bulletins:hq_detail", pk=bulletin.pk)
    return render(request, "bulletins/hq_form.html", {"form": form, "bulletin": bulletin})


def hq_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    bulletin = _hq_bulletin(pk)
    figures = selectors.progress(bulletins=[bulletin], dealer_ids=access.dealer_ids)
    context = {
        "bulletin": bulletin,
        "body": _safe_body(bulletin),
        "targets": targets_summary(bulletin),
        "progress": figures.get(bulletin.pk),
        "versions": list(selectors.versions_of(bulletin)),
        "attachments": _attachments(bulletin),
        "can_write": _can_write(access),
        "publish_errors": [],
        "withdraw_form": WithdrawForm(),
        "max_bytes": attachments.max_bytes(),
    }
    if bulletin.status == Bulletin.Status.DRAFT:
        context["dealer_count"] = len(services.target_dealer_ids(bulletin))
    return render(request, "bulletins/hq_detail.html", context)


@require_POST
def hq_publish(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    try:
        count = services.publish(bulletin=bulletin, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("bulletins:hq_detail", pk=bulletin.pk)
    messages.success(
        request, _("Published: %(count)d staff members received it.") % {"count": count}
    )
    return redirect("bulletins:hq_detail", pk=bulletin.pk)


def hq_revise(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    if bulletin.status != Bulletin.Status.PUBLISHED:
        raise Http404
    form = ReviseForm(
        request.POST or None, initial={"title": bulletin.title, "body": bulletin.body}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.revise(
                bulletin=bulletin,
                actor=request.user,
                request=request,
                title=data["title"],
                body=data["body"],
                note=data["note"],
                requires_reack=data["requires_reack"],
                ack_deadline=data["ack_deadline"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("Revision published."))
            return redirect("bulletins:hq_detail", pk=bulletin.pk)
    return render(request, "bulletins/hq_revise.html", {"form": form, "bulletin": bulletin})


@require_POST
def hq_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.withdraw(bulletin=bulletin, actor=request.user, reason=reason, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Withdrawn: it has left every inbox."))
    return redirect("bulletins:hq_detail", pk=bulletin.pk)


@require_POST
def hq_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the text as it will be stored (cleaned by nh3)."""
    body = services.sanitise(request.POST.get("body", ""))
    return render(
        request,
        "bulletins/_preview.html",
        {"body": mark_safe(body)},  # noqa: S308 (cleaned by nh3 just now)
    )


# --- attachments ------------------------------------------------------------------------------------


def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    """A bulletin's file, to the staff it reaches (a live bulletin) and to HQ; 404 otherwise."""
    access = request_access(request)
    if access.is_hq and (access.can(Cap.NETWORK_ADMIN) or access.can(Cap.KPI_NETWORK)):
        bulletin = get_object_or_404(Bulletin, pk=pk)
    elif access.writable and access.membership is not None:
        bulletin = selectors.bulletin_for_reader(user=request.user, pk=pk)
    else:
        raise Http404
    item = get_object_or_404(BulletinAttachment, pk=attachment_pk, bulletin=bulletin)
    handle = attachments.open_for_download(
        attachment=item,
        actor=request.user,
        dealer=None if access.is_hq else access.dealer,
        request=request,
    )
    response = FileResponse(
        handle, as_attachment=True, filename=item.filename, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def hq_attach(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
        return redirect("bulletins:hq_detail", pk=bulletin.pk)
    limit = attachments.max_bytes()
    content = upload.read(limit + 1)
    try:
        attachments.add_attachment(
            bulletin=bulletin,
            actor=request.user,
            content=content,
            filename=upload.name or "",
            request=request,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("File attached."))
    return redirect("bulletins:hq_detail", pk=bulletin.pk)


@require_POST
def hq_detach(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    bulletin = _hq_bulletin(pk)
    item = get_object_or_404(BulletinAttachment, pk=attachment_pk, bulletin=bulletin)
    try:
        attachments.remove_attachment(attachment=item, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("File removed."))
    return redirect("bulletins:hq_detail", pk=bulletin.pk)


# --- compliance -----------------------------------------------------------------------------------

SORTS = {
    "worst": lambda line: (
        line.figures.share_acknowledged if line.figures.share_acknowledged is not None else 2,
        line.code,
    ),
    "code": lambda line: (line.code,),
    "overdue": lambda line: (-line.figures.overdue, line.code),
    "region": lambda line: (line.region, line.code),
}


def _bar(figures: selectors.Figures, asks: bool) -> tuple[int, str]:
    """A share bar's percentage and colour class (acknowledged when asked, else opened)."""
    part = figures.acknowledged if asks else figures.opened
    pct = round(100 * part / figures.recipients) if figures.recipients else 0
    return pct, "ack-low" if pct < 50 else "ack-mid" if pct < 90 else ""


def compliance(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    if not access.is_hq:
        lines = selectors.staff_status(access=access, bulletin_id=pk)
        bulletin = Bulletin.objects.get(pk=pk)
        acked = sum(1 for s in lines if s.acknowledged_at)
        return render(
            request,
            "bulletins/staff_status.html",
            {
                "bulletin": bulletin,
                "lines": lines,
                "acked": acked,
                "percent": round(100 * acked / len(lines)) if lines else 0,
                "overdue": sum(1 for s in lines if s.overdue),
            },
        )
    data = selectors.compliance(access=access, bulletin_id=pk, people_limit=STAFF_LIST_LIMIT)
    sort = request.GET.get("sort", "worst")
    if sort not in SORTS:
        sort = "worst"
    asks = data.bulletin.requires_ack
    dealers = [(d, *_bar(d.figures, asks)) for d in sorted(data.dealers, key=SORTS[sort])]
    regions = sorted(
        data.regions,
        key=lambda r: (
            r.figures.share_acknowledged if r.figures.share_acknowledged is not None else 2,
            r.name,
        ),
    )
    return render(
        request,
        "bulletins/compliance.html",
        {
            "bulletin": data.bulletin,
            "data": data,
            "dealers": dealers,
            "regions": [(r, *_bar(r.figures, asks)) for r in regions],
            "sort": sort,
            "bar_label": _("Acknowledged") if asks else _("Opened"),
            "overdue": data.overdue,
            "overdue_count": data.total.overdue,
            "overdue_more": max(0, data.total.overdue - len(data.overdue)),
            "pending": data.pending,
            "pending_count": data.pending_count,
            "pending_more": max(0, data.pending_count - len(data.pending)),
            "formats": tabular.FORMATS,
            "is_hq": True,
        },
    )


def compliance_export(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    if file_format not in tabular.FORMATS:
        raise Http404
    access = request_access(request)
    content, filename = exports.compliance_file(
        access=access, bulletin_id=pk, file_format=file_format, actor=request.user, request=request
    )
    return tabular.attachment(content, file_format, filename)
