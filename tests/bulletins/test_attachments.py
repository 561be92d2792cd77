"""Attachments: type checked by content, size limit, drafts only, served only to the staff the
bulletin reaches and to HQ (404 for others, login for anonymous), each download audited."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from bulletins import attachments, services
from bulletins.models import BulletinAttachment
from dms.audit.models import AuditAction, AuditEntry
from tests.factories import signed_in_client

from .conftest import Network, make_bulletin

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def draft_with(net: Network, content: bytes = PDF, name: str = "guide.pdf", **fields: Any) -> Any:
    bulletin = make_bulletin(net, publish=False, **fields)
    item = attachments.add_attachment(
        bulletin=bulletin, actor=net.admin, content=content, filename=name
    )
    return bulletin, item


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (PDF, "a.pdf", "application/pdf"),
        (PNG, "a.png", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16, "a.jpg", "image/jpeg"),
        (b"part;qty\n0001;2\n", "a.csv", "text/csv"),
        ("Grüße\n".encode(), "notes.txt", "text/plain"),
    ],
)
def test_accepted_types_are_stored_under_a_generated_name(
    network: Network, media: Path, content: bytes, name: str, kind: str
) -> None:
    _bulletin, item = draft_with(network, content, name)
    assert item.content_type == kind
    assert item.filename == name
    assert item.stored_name != name and len(item.stored_name) > 32
    assert (media / "bulletins" / item.stored_name).read_bytes() == content


def test_xlsx_is_recognised_inside_the_zip(network: Network) -> None:
    _bulletin, item = draft_with(network, xlsx(), "prices.xlsx")
    assert item.content_type.endswith("spreadsheetml.sheet")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "tool.pdf", "not accepted"),  # an .exe named .pdf
        (PDF, "guide.png", "its name ends in"),
        (b"<html><script>x()</script>", "page.html", "not accepted"),
        (b"just some text", "report.pdf", "its name ends in"),
        (b"\x00\x01\x02binary", "data.txt", "not accepted"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_refused_files_store_nothing(
    network: Network, media: Path, content: bytes, name: str, message: str
) -> None:
    bulletin = make_bulletin(network, publish=False)
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(
            bulletin=bulletin, actor=network.admin, content=content, filename=name
        )
    assert message in " ".join(refused.value.messages)
    assert not BulletinAttachment.objects.exists()
    assert not (media / "bulletins").exists() or not any((media / "bulletins").iterdir())


def test_size_limit_is_a_setting(network: Network, settings: Any) -> None:
    settings.DMS_BULLETIN_ATTACHMENT_MAX_BYTES = 10
    bulletin = make_bulletin(network, publish=False)
    with pytest.raises(ValidationError, match="larger than"):
        attachments.add_attachment(
            bulletin=bulletin, actor=network.admin, content=PDF, filename="a.pdf"
        )


def test_only_drafts_take_files_and_only_hq_admins_add_them(network: Network) -> None:
    published = make_bulletin(network)
    with pytest.raises(ValidationError, match="drafts only"):
        attachments.add_attachment(
            bulletin=published, actor=network.admin, content=PDF, filename="a.pdf"
        )
    draft = make_bulletin(network, publish=False)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        attachments.add_attachment(
            bulletin=draft, actor=network.north_manager, content=PDF, filename="a.pdf"
        )


def test_access_matrix(network: Network) -> None:
    bulletin, item = draft_with(network, regions=[network.north], roles=["consultant"])
    services.publish(bulletin=bulletin, actor=network.admin)
    url = reverse("bulletins:attachment", args=[bulletin.pk, item.pk])

    targeted = signed_in_client(network.who("A", "consultant")).get(url)
    assert targeted.status_code == 200
    assert b"".join(targeted.streaming_content) == PDF
    assert targeted["Content-Disposition"].startswith("attachment")
    assert targeted["X-Content-Type-Options"] == "nosniff"
    assert targeted["Content-Type"] == "application/pdf"

    assert signed_in_client(network.admin).get(url).status_code == 200
    assert signed_in_client(network.north_manager).get(url).status_code == 200
    for code, role in [("C", "consultant"), ("A", "service_advisor"), ("E", "consultant")]:
        assert signed_in_client(network.who(code, role)).get(url).status_code == 404
    # An attachment id under another bulletin's id: not found either.
    other = make_bulletin(network, title="Other")
    wrong = reverse("bulletins:attachment", args=[other.pk, item.pk])
    assert signed_in_client(network.who("A", "consultant")).get(wrong).status_code == 404

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]

    downloads = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert downloads.count() == 3
    assert {e.detail["download"] for e in downloads} == {"bulletin_attachment"}


def test_withdrawn_bulletin_files_are_gone_for_staff(network: Network) -> None:
    bulletin, item = draft_with(network)
    services.publish(bulletin=bulletin, actor=network.admin)
    services.withdraw(bulletin=bulletin, actor=network.admin)
    url = reverse("bulletins:attachment", args=[bulletin.pk, item.pk])
    assert signed_in_client(network.who("A", "consultant")).get(url).status_code == 404


def test_hq_page_uploads_and_refuses_with_a_message(network: Network) -> None:
    bulletin = make_bulletin(network, publish=False)
    client = signed_in_client(network.admin)
    url = reverse("bulletins:hq_attach", args=[bulletin.pk])
    ok = client.post(url, {"file": SimpleUploadedFile("guide.pdf", PDF)}, follow=True)
    assert "guide.pdf" in ok.content.decode()
    bad = client.post(
        url, {"file": SimpleUploadedFile("x.pdf", b"#!/bin/sh\x00rm -rf")}, follow=True
    )
    assert "not accepted" in bad.content.decode()
    assert BulletinAttachment.objects.count() == 1
    item = BulletinAttachment.objects.get()
    client.post(reverse("bulletins:hq_detach", args=[bulletin.pk, item.pk]))
    assert not BulletinAttachment.objects.exists()
