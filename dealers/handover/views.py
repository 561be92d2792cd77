"""Handover pages: departures, the reassignment wizard (book → distribution → preview → apply)
and temporary cover. Thin: role checks, selectors, services. Another dealer's ids are not in the
querysets objects are looked up in (404); the role check comes first (403)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from dealers.models import Dealer, Membership, ReassignmentBatch
from dealers.roles import DEALER_ROLE_CAPS, Cap
from dealers.views import AccessRequiredMixin

from . import selectors, services
from .forms import CoverForm, DepartureForm, DistributionForm, ReassignForm

ITEMS_PER_PAGE = 100


class HandoverMixin(AccessRequiredMixin):
    any_of: tuple[str, ...] = (Cap.STAFF_DEPARTURE, Cap.SALES_REASSIGN)
    require_writable = True
    require_dealer = True

    @property
    def dealer(self) -> Dealer:
        if self.access.dealer is None:  # has_access requires one
            raise PermissionDenied
        return self.access.dealer

    def membership(self, pk: int) -> Membership:
        try:
            return selectors.staff_membership(dealer=self.dealer, pk=pk)
        except Membership.DoesNotExist as exc:
            raise Http404 from exc

    def batch(self, pk: int) -> ReassignmentBatch:
        return get_object_or_404(selectors.batches_in_scope(), pk=pk)


class HandoverHomeView(HandoverMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        staff = (
            Membership.objects.filter(dealer=self.dealer, is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        return render(
            request,
            "dealers/handover/home.html",
            {
                "staff": staff,
                "departures": selectors.departures_in_scope()[:50],
                "batches": selectors.batches_in_scope()[:50],
                "covers": selectors.covers_in_scope()[:50],
                "can_depart": self.access.can(Cap.STAFF_DEPARTURE),
                # Only people who sell hold customers to hand over.
                "selling_roles": [
                    r for r, caps in DEALER_ROLE_CAPS.items() if Cap.SALES_OWN in caps
                ],
            },
        )


class DepartureView(HandoverMixin, View):
    any_of = (Cap.STAFF_DEPARTURE,)

    def load_objects(self, **kwargs: Any) -> None:
        self.member = self.membership(kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        initial = {"leaving_on": self.member.leaving_on}
        return self._render(DepartureForm(initial=initial))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = DepartureForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            services.mark_leaving(
                membership=self.member,
                leaving_on=form.cleaned_data["leaving_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self._render(form, status=400)
        messages.success(
            request,
            _("%(name)s is marked as leaving on %(day)s. Now hand over their customers.")
            % {"name": _name(self.member.user), "day": form.cleaned_data["leaving_on"]},
        )
        return redirect("dealers:handover:wizard", pk=self.member.pk)

    def _render(self, form: DepartureForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "dealers/handover/departure_form.html",
            {"form": form, "member": self.member},
            status=status,
        )


class WizardView(HandoverMixin, View):
    """Step 1: what the person holds, and how to distribute it (POST makes the preview)."""

    def load_objects(self, **kwargs: Any) -> None:
        self.member = self.membership(kwargs["pk"])
        self.receivers = selectors.receiving_memberships(
            dealer=self.dealer, exclude_user_id=self.member.user_id
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(DistributionForm(receivers=self.receivers))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = DistributionForm(request.POST, receivers=self.receivers)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            batch = services.plan_batch(
                dealer=self.dealer,
                from_user=self.member.user,
                actor=request.user,
                targets=list(form.cleaned_data["targets"]),
                strategy=form.cleaned_data["strategy"],
                grade_rules=form.grade_rules(),
            )
        except ValidationError as error:
            form.apply_errors(error)
            return self._render(form, status=400)
        return redirect("dealers:handover:batch", pk=batch.pk)

    def _render(self, form: DistributionForm, status: int = 200) -> HttpResponse:
        return render(
            self.request,
            "dealers/handover/wizard.html",
            {
                "form": form,
                "member": self.member,
                "book": selectors.book_of(dealer=self.dealer, user_id=self.member.user_id),
                "receivers": self.receivers,
            },
            status=status,
        )


class BatchView(HandoverMixin, View):
    """Step 2: the preview (or the record of an applied batch)."""

    def load_objects(self, **kwargs: Any) -> None:
        self.object = self.batch(kwargs["pk"])
        self.receivers = selectors.receiving_memberships(
            dealer=self.dealer, exclude_user_id=self.object.from_user_id
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(ReassignForm(receivers=self.receivers))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Manual choice: one item or every item of a grade to one colleague."""
        form = ReassignForm(request.POST, receivers=self.receivers)
        if form.is_valid():
            item = form.cleaned_data.get("item")
            grade = form.cleaned_data.get("grade") or None
            try:
                changed = services.reassign_items(
                    batch=self.object,
                    to_user=form.cleaned_data["to_user"],
                    actor=request.user,
                    item_ids=[item] if item else None,
                    grade=grade,
                )
            except ValidationError as error:
                form.apply_errors(error)
            else:
                if request.headers.get("HX-Request") and item:
                    return self._item_row(item)
                messages.success(
                    request,
                    ngettext(
                        "%(n)d customer changed hands.", "%(n)d customers changed hands.", changed
                    )
                    % {"n": changed},
                )
                return redirect("dealers:handover:batch", pk=self.object.pk)
        return self._render(form, status=400)

    def _item_row(self, item_id: int) -> HttpResponse:
        item = get_object_or_404(selectors.batch_items(batch=self.object), pk=item_id)
        return render(
            self.request,
            "dealers/handover/_item_row.html",
            {"item": item, "batch": self.object, "receivers": self.receivers, "saved": True},
        )

    def _render(self, form: ReassignForm, status: int = 200) -> HttpResponse:
        grade = self.request.GET.get("grade")
        page = Paginator(
            selectors.batch_items(batch=self.object, grade=grade or None), ITEMS_PER_PAGE
        ).get_page(self.request.GET.get("page"))
        return render(
            self.request,
            "dealers/handover/batch.html",
            {
                "batch": self.object,
                "summary": selectors.batch_summary(batch=self.object),
                "page": page,
                "form": form,
                "receivers": self.receivers,
                "grade": grade or "",
            },
            status=status,
        )


class BatchApplyView(HandoverMixin, View):
    def load_objects(self, **kwargs: Any) -> None:
        self.object = self.batch(kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("dealers:handover:batch", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        was_applied = self.object.status == ReassignmentBatch.Status.APPLIED
        try:
            batch = services.apply_batch(batch=self.object, actor=request.user, request=request)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("dealers:handover:batch", pk=pk)
        if was_applied:
            messages.info(request, _("This batch was already applied; nothing changed."))
        else:
            messages.success(
                request,
                ngettext(
                    "Handover applied: %(n)d customer has a new owner, who was notified.",
                    "Handover applied: %(n)d customers have new owners, who were notified.",
                    batch.counts.get("total", 0),
                )
                % {"n": batch.counts.get("total", 0)},
            )
        return redirect("dealers:handover:batch", pk=pk)


class BatchDiscardView(HandoverMixin, View):
    def load_objects(self, **kwargs: Any) -> None:
        self.object = self.batch(kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("dealers:handover:batch", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.discard_batch(batch=self.object, actor=request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("dealers:handover:batch", pk=pk)
        messages.success(request, _("Preview discarded; nothing was changed."))
        return redirect("dealers:handover:home")


class CoverCreateView(HandoverMixin, View):
    def load_objects(self, **kwargs: Any) -> None:
        self.members = (
            Membership.objects.filter(dealer=self.dealer, is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        self.candidates = selectors.cover_candidates(dealer=self.dealer)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(CoverForm(memberships=self.members, candidates=self.candidates))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CoverForm(request.POST, memberships=self.members, candidates=self.candidates)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            cover = services.create_cover(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.apply_errors(error)
            return self._render(form, status=400)
        if cover.status == cover.Status.ACTIVE:
            messages.success(request, _("Cover started: the book has moved."))
        else:
            messages.success(request, _("Cover planned: the book moves on its first day."))
        return redirect("dealers:handover:home")

    def _render(self, form: CoverForm, status: int = 200) -> HttpResponse:
        return render(
            self.request, "dealers/handover/cover_form.html", {"form": form}, status=status
        )


class CoverEndView(HandoverMixin, View):
    def load_objects(self, **kwargs: Any) -> None:
        self.object = get_object_or_404(selectors.covers_in_scope(), pk=kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("dealers:handover:home")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            done = services.end_cover(cover=self.object, actor=request.user, request=request)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("dealers:handover:home")
        if done:
            messages.success(request, _("Cover ended: what is still open went back."))
        else:
            messages.info(request, _("This cover had already ended."))
        return redirect("dealers:handover:home")


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())
