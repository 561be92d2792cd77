"""Import jobs: upload → check (dry run) → apply, all or nothing.

- `start_import` stores the upload under MEDIA_ROOT/imports with a generated name, creates the
  job row and enqueues the check after commit;
- `run_check` (Celery) reads and checks every row and stores the errors, or the dry run's changes
  (new, changed old → new, removed) and their digest;
- `request_apply` (the HQ user confirms) and `run_apply` (Celery) check the file again, refuse if
  the data changed since the dry run (the digest differs: the new changes are shown instead), and
  apply everything in one transaction: one bad row and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dms.audit.models import AuditAction
from dms.audit.services import record

from .engine import Changes, Errors, FileRefused, Importer, Progress, file_format, importer_for
from .engine import read_table as read_table
from .models import ImportJob

Status = ImportJob.Status


def import_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def job_path(job: ImportJob) -> Path:
    return import_root() / job.stored_name


def _no_progress(current: int, total: int, description: str) -> None:
    return None


# --- the steps, usable without a job (the bench calls them directly) -----------------------


class Checked:
    """A checked file: its rows, the importer's checked data, the errors and the changes."""

    def __init__(self, *, rows: int, data: Any, errors: Errors, changes: Changes | None):
        self.rows = rows
        self.data = data
        self.errors = errors
        self.changes = changes


def check_file(
    *,
    importer: Importer,
    path: Path,
    fmt: str,
    progress: Progress = _no_progress,
    timings: dict[str, float] | None = None,
) -> Checked:
    """Read, check and (when every row is valid) compute the dry run of one file."""
    timings = {} if timings is None else timings
    errors = Errors()
    started = time.perf_counter()
    table = read_table(path, fmt, importer.columns, errors)
    timings["read"] = round(time.perf_counter() - started, 3)
    if errors:
        return Checked(rows=len(table.rows), data=None, errors=errors, changes=None)
    started = time.perf_counter()
    data = importer.check(table, errors, progress)
    timings["check"] = round(time.perf_counter() - started, 3)
    if errors:
        return Checked(rows=len(table.rows), data=None, errors=errors, changes=None)
    started = time.perf_counter()
    changes = importer.changes(data)
    timings["diff"] = round(time.perf_counter() - started, 3)
    return Checked(rows=len(table.rows), data=data, errors=errors, changes=changes)


def digest(changes: Changes) -> str:
    payload = json.dumps([changes.new, changes.changed, changes.removed, changes.lines])
    return hashlib.sha256(payload.encode()).hexdigest()


# --- jobs -----------------------------------------------------------------------------------


def start_import(
    *,
    actor: Any,
    kind: str,
    upload: UploadedFile,
    target: str = "",
    request: HttpRequest | None = None,
) -> ImportJob:
    """Store the file and enqueue its check. Refused (ValidationError, nothing stored): a kind
    the actor may not import, another format than CSV/XLSX, an empty or too large file."""
    try:
        importer = importer_for(kind, target)
        fmt = file_format(upload.name or "")
    except FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    importer.check_actor(actor)
    targets = dict(importer.targets())
    if targets and target not in targets:
        raise ValidationError({"target": _("Choose what to import into.")})
    if not targets:
        target = ""
    limit = settings.DMS_IMPORT_MAX_BYTES
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s MB; at most %(limit)s MB).")
                % {"size": round(upload.size / 1e6, 1), "limit": round(limit / 1e6, 1)}
            }
        )
    root = import_root()
    root.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}.{fmt}"
    with (root / stored_name).open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job = ImportJob.objects.create(
        created_by=actor,
        kind=kind,
        target=target,
        target_label=str(targets.get(target, ""))[:200],
        file_name=Path(upload.name or "").name[:200],
        stored_name=stored_name,
        size=upload.size,
        task_id=str(uuid.uuid4()),
    )
    record(
        action=AuditAction.REFERENCE_CHANGE,
        actor=actor,
        obj=job,
        request=request,
        detail={"step": "upload", "kind": kind, "file": job.file_name, "size": job.size},
    )
    _enqueue("check", job)
    return job


def _enqueue(step: str, job: ImportJob) -> None:
    """Run `step` ("check" or "apply") of the job in Celery once this transaction commits, under
    the task id the job page polls for progress."""
    from . import tasks  # noqa: PLC0415 - the tasks module imports this one

    task = tasks.check_import if step == "check" else tasks.apply_import
    job_id, task_id = job.pk, job.task_id
    transaction.on_commit(lambda: task.apply_async(args=[job_id], task_id=task_id))


def _keep(job: ImportJob, checked: Checked) -> None:
    job.rows = checked.rows
    job.error_count = len(checked.errors)
    job.errors = [e.as_list() for e in checked.errors.items[: settings.DMS_IMPORT_ERRORS_KEPT]]
    changes = checked.changes
    job.new_count = changes.new if changes else 0
    job.changed_count = changes.changed if changes else 0
    job.removed_count = changes.removed if changes else 0
    job.changes = changes.lines[: settings.DMS_IMPORT_CHANGES_KEPT] if changes else []
    job.changes_digest = digest(changes) if changes else ""


def run_check(*, job_id: int, progress: Progress = _no_progress) -> dict[str, Any]:
    """The dry run of a waiting job (Celery): errors, or the changes applying would make."""
    claimed = ImportJob.objects.filter(pk=job_id, status=Status.PENDING).update(
        status=Status.CHECKING
    )
    if not claimed:
        return {"status": "skipped"}
    job = ImportJob.objects.get(pk=job_id)
    timings: dict[str, float] = {}
    try:
        checked = check_file(
            importer=importer_for(job.kind, job.target),
            path=job_path(job),
            fmt=file_format(job.stored_name),
            progress=progress,
            timings=timings,
        )
    except FileRefused as exc:
        return _failed(job, str(exc))
    _keep(job, checked)
    job.status = Status.INVALID if checked.errors else Status.READY
    job.checked_at = timezone.now()
    job.timings = timings
    job.save()
    return _summary(job)


def request_apply(*, job: ImportJob, actor: Any, request: HttpRequest | None = None) -> ImportJob:
    """The HQ user confirms the dry run: enqueue the apply (once; a second click changes nothing)."""
    importer_for(job.kind).check_actor(actor)
    new_task = str(uuid.uuid4())
    claimed = ImportJob.objects.filter(pk=job.pk, status=Status.READY).update(
        status=Status.APPLYING, applied_by=actor, task_id=new_task, failure=""
    )
    if not claimed:
        raise ValidationError(_("This import is not ready to apply."))
    job.refresh_from_db()
    _enqueue("apply", job)
    return job


def run_apply(*, job_id: int, progress: Progress = _no_progress) -> dict[str, Any]:
    """Check the file again and apply it in one transaction (Celery)."""
    job = ImportJob.objects.select_related("applied_by").get(pk=job_id)
    if job.status != Status.APPLYING:
        return {"status": "skipped"}
    importer = importer_for(job.kind, job.target)
    timings: dict[str, float] = {}
    try:
        importer.check_actor(job.applied_by)
        checked = check_file(
            importer=importer,
            path=job_path(job),
            fmt=file_format(job.stored_name),
            progress=progress,
            timings=timings,
        )
    except FileRefused as exc:
        return _failed(job, str(exc))
    except PermissionDenied as exc:
        return _failed(job, str(exc))
    if checked.errors or checked.changes is None:
        _keep(job, checked)
        job.status = Status.INVALID
        job.failure = _("The data changed since the dry run and the file no longer passes.")
        job.save()
        return _summary(job)
    if digest(checked.changes) != job.changes_digest:
        _keep(job, checked)
        job.status = Status.READY
        job.failure = _(
            "The data changed since the dry run: check the changes below and apply again."
        )
        job.save()
        return _summary(job)
    progress(0, 1, _("Applying"))
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = importer.apply(checked.data, actor=job.applied_by, job_id=job.pk)
            record(
                action=AuditAction.REFERENCE_CHANGE,
                actor=job.applied_by,
                obj=job,
                count=checked.rows,
                detail={
                    "step": "apply",
                    "kind": job.kind,
                    "file": job.file_name,
                    "new": job.new_count,
                    "changed": job.changed_count,
                    "removed": job.removed_count,
                    **{k: v for k, v in result.items() if isinstance(v, int | str)},
                },
            )
            timings["apply"] = round(time.perf_counter() - started, 3)
            ImportJob.objects.filter(pk=job.pk).update(
                status=Status.APPLIED,
                applied_at=timezone.now(),
                result=result,
                timings={**job.timings, **{f"apply_{k}": v for k, v in timings.items()}},
            )
    except ValidationError as exc:
        return _failed(job, " ".join(exc.messages))
    job.refresh_from_db()
    return _summary(job)


def cancel(*, job: ImportJob, actor: Any) -> None:
    importer_for(job.kind).check_actor(actor)
    ImportJob.objects.filter(pk=job.pk, status__in=[Status.READY, Status.INVALID]).update(
        status=Status.CANCELLED
    )


def _failed(job: ImportJob, message: str) -> dict[str, Any]:
    ImportJob.objects.filter(pk=job.pk).update(status=Status.FAILED, failure=message[:500])
    job.refresh_from_db()
    return _summary(job)


def _summary(job: ImportJob) -> dict[str, Any]:
    return {
        "status": job.status,
        "rows": job.rows,
        "errors": job.error_count,
        "new": job.new_count,
        "changed": job.changed_count,
        "removed": job.removed_count,
    }
