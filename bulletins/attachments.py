"""Bulletin attachments (issue 14, item 8): HQ adds files to a draft; readers download them.

Rules:
- Only HQ admins add or remove files, and only on a draft (what was published stays as it was).
- At most `DMS_BULLETIN_ATTACHMENT_MAX_BYTES` per file (a setting, 10 MB by default).
- The type is decided by the content (puremagic; Office files by the parts inside the zip),
  never by the name or the browser's word: PDF, PNG, JPEG, XLSX, DOCX, CSV and plain text
  (UTF-8, no NUL bytes). The name's extension must agree with the content. Macro-enabled
  Office files are refused.
- Files are stored under MEDIA_ROOT/bulletins/ with a generated name; the uploader's name is
  only shown. Nothing serves that folder: `download` checks who asks (the bulletin's readers and
  HQ; everybody else "not found") and every download is audited.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from pathlib import Path
from typing import Any

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from dms.audit.models import AuditAction
from dms.audit.services import record

from .models import Bulletin, BulletinAttachment
from .services import _audit, _check_hq_author

SUBFOLDER = "bulletins"

KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "pdf": ("application/pdf", frozenset({".pdf"})),
    "png": ("image/png", frozenset({".png"})),
    "jpeg": ("image/jpeg", frozenset({".jpg", ".jpeg"})),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        frozenset({".xlsx"}),
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        frozenset({".docx"}),
    ),
    "csv": ("text/csv", frozenset({".csv"})),
    "txt": ("text/plain", frozenset({".txt"})),
}


def storage() -> FileSystemStorage:
    return FileSystemStorage(location=Path(settings.MEDIA_ROOT) / SUBFOLDER)


def max_bytes() -> int:
    return int(settings.DMS_BULLETIN_ATTACHMENT_MAX_BYTES)


def _office_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if any(n.endswith("vbaProject.bin") for n in names):
        return None  # macros
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return None


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def detect_kind(content: bytes, filename: str) -> str:
    """The file's kind, by its content; ValidationError when it is not one we accept or its
    name's extension says otherwise."""
    extension = Path(filename).suffix.lower()
    try:
        mimes = {m.mime_type for m in puremagic.magic_string(content)}
    except puremagic.PureError:
        mimes = set()
    kind: str | None = None
    if "application/pdf" in mimes:
        kind = "pdf"
    elif "image/png" in mimes:
        kind = "png"
    elif "image/jpeg" in mimes:
        kind = "jpeg"
    elif content.startswith(b"PK\x03\x04"):
        kind = _office_kind(content)
    elif not mimes and content and _is_text(content):
        kind = "csv" if extension == ".csv" else "txt"
    if kind is None:
        raise ValidationError(
            {
                "file": _(
                    "This type of file is not accepted: PDF, PNG, JPEG, XLSX, DOCX, CSV or text."
                )
            }
        )
    if extension not in KINDS[kind][1]:
        raise ValidationError(
            {
                "file": _("The file's content is %(kind)s but its name ends in “%(ext)s”.")
                % {"kind": kind.upper(), "ext": extension or "-"}
            }
        )
    return kind


def _clean_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:200] or "file"


@transaction.atomic
def add_attachment(
    *,
    bulletin: Bulletin,
    actor: Any,
    content: bytes,
    filename: str,
    request: HttpRequest | None = None,
) -> BulletinAttachment:
    """Store one file with a draft (nothing is stored when refused)."""
    _check_hq_author(actor)
    row = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if row.status != Bulletin.Status.DRAFT:
        raise ValidationError(
            {"file": _("Files are added to drafts only: publish a new bulletin instead.")}
        )
    if len(content) > max_bytes():
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)s.")
                % {"limit": filesizeformat(max_bytes())}
            }
        )
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    name = _clean_name(filename)
    kind = detect_kind(content, name)
    stored_name = f"{secrets.token_hex(16)}{sorted(KINDS[kind][1])[0]}"
    attachment = BulletinAttachment.objects.create(
        bulletin=row,
        filename=name,
        stored_name=stored_name,
        content_type=KINDS[kind][0],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    store = storage()
    saved = store.save(stored_name, io.BytesIO(content))
    if saved != stored_name:  # never: the name is random; refuse rather than mislabel
        store.delete(saved)
        raise ValidationError({"file": _("The file could not be stored; try again.")})
    _audit(
        bulletin=row,
        actor=actor,
        change="attachment_added",
        request=request,
        attachment=attachment.pk,
        filename=name,
        size=len(content),
    )
    return attachment


@transaction.atomic
def remove_attachment(
    *, attachment: BulletinAttachment, actor: Any, request: HttpRequest | None = None
) -> None:
    _check_hq_author(actor)
    row = Bulletin.objects.select_for_update().get(pk=attachment.bulletin_id)
    if row.status != Bulletin.Status.DRAFT:
        raise ValidationError(_("Files of a published bulletin stay as they were published."))
    stored = attachment.stored_name
    attachment.delete()
    transaction.on_commit(lambda: storage().delete(stored))
    _audit(bulletin=row, actor=actor, change="attachment_removed", request=request, file=stored)


def open_for_download(
    *,
    attachment: BulletinAttachment,
    actor: Any,
    dealer: Any = None,
    request: HttpRequest | None = None,
) -> Any:
    """The stored file, opened for reading; the download is audited. The caller has checked
    that `actor` may read the bulletin."""
    handle = storage().open(attachment.stored_name, "rb")
    record(
        action=AuditAction.EXPORT,
        actor=actor,
        dealer=dealer,
        obj=attachment,
        count=1,
        request=request,
        detail={
            "download": "bulletin_attachment",
            "bulletin": attachment.bulletin_id,
            "filename": attachment.filename,
        },
    )
    return handle
