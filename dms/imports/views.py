"""Import pages (thin: the rules are in dms.imports.services)."""

from __future__ import annotations

from typing import Any

from celery.result import AsyncResult
from celery_progress.backend import Progress
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dms import tabular
from dms.paging import paginate

from . import selectors, services
from .engine import errors_table, importer_for, kinds
from .forms import UploadForm
from .models import ImportJob

ERRORS_SHOWN = 100


def import_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                target=form.cleaned_data["target"],
                request=request,
            )
        except ValidationError as exc:
            for field, messages_ in exc.message_dict.items():
                for message in messages_:
                    form.add_error(field if field in form.fields else "file", message)
        else:
            return redirect("imports:job", pk=job.pk)
    page = paginate(request, selectors.job_list(), per_page=25)
    importers = [importer_for(kind) for kind, _label in kinds()]
    return render(
        request,
        "imports/list.html",
        {"form": form, "jobs": page.object_list, "importers": importers, **page.context},
        status=400 if form.errors else 200,
    )


def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job(pk)
    changes = paginate(request, job.changes, per_page=50)
    importer = importer_for(job.kind, job.target)
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "importer": importer,
            "errors_shown": job.errors[:ERRORS_SHOWN],
            "errors_more": max(job.error_count - ERRORS_SHOWN, 0),
            "errors_kept": len(job.errors),
            "changes": changes.object_list,
            "changes_kept": len(job.changes),
            "changes_total": job.new_count + job.changed_count + job.removed_count,
            **changes.context,
        },
    )


def job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """celery-progress's answer for the job's task (the bar in the job page polls it)."""
    job = selectors.job(pk, full=False)
    info: dict[str, Any]
    if not job.running:
        info = {"complete": True, "success": True, "progress": {"percent": 100}, "result": ""}
    else:
        info = Progress(AsyncResult(job.task_id)).get_info()
        if info.get("complete") and info.get("success") is False:
            info["result"] = _("The job broke; reload the page.")  # no exception text to HQ
    return JsonResponse(info)


def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's errors as CSV (row, column, value, message)."""
    return _errors_file(pk, "csv")


def job_errors_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The same errors as a workbook."""
    return _errors_file(pk, "xlsx")


def _errors_file(pk: int, file_format: str) -> HttpResponse:
    job = selectors.job(pk)
    content = errors_table(job.errors, file_format)
    return tabular.attachment(content, file_format, f"import-{job.pk}-errors")


@require_POST
def job_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job(pk, full=False)
    try:
        services.request_apply(job=job, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("imports:job", args=[job.pk]))


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job(pk, full=False)
    services.cancel(job=job, actor=request.user)
    if job.status in (ImportJob.Status.READY, ImportJob.Status.INVALID):
        messages.info(request, _("Import cancelled: nothing was changed."))
    return redirect("imports:list")
