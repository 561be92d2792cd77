"""Why an export failed is stored as a reason code (plus untranslated details such as the
exception), not as a sentence in the worker's language: each viewer reads it in their own
language, on the export page and in the row the page polls."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reports.exports import pdf, services
from reports.models import ExportJob
from tests.factories import hq_user

from .conftest import make_job as _job

pytestmark = pytest.mark.django_db

STALLED_EN = "The export stopped before it finished (no progress for 30 minutes). Start it again."
STALLED_JA = (
    "エクスポートが完了前に停止しました（30 分間進捗がありません）。 もう一度開始してください。"
)
STALLED_ZH = "导出在完成前停止（30 分钟没有进展）。 请重新开始。"


@pytest.fixture(autouse=True)
def limits(settings: Any) -> None:
    settings.DMS_EXPORT_KEEP_DAYS = 7
    settings.DMS_EXPORT_STALE_MINUTES = 30


def _row(page: str, job: ExportJob) -> str:
    return page[page.index(f'id="export-job-{job.pk}"') :].split("</tr>")[0]


def _reason(html: str) -> str:
    start = html.index('data-testid="export-job-error">') + len('data-testid="export-job-error">')
    return html[start : html.index("</span>", start)]


def _in_language(client: Any, language: str) -> Any:
    """The user picks their language with the page's switcher (Django's set_language)."""
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def test_a_stalled_job_reads_in_the_viewers_language(net, login, export_root):
    # The sweep runs in a worker whose language is neither the viewers' (here: Japanese).
    job = _job(net, status="running", progress_at=timezone.now() - dt.timedelta(hours=1))
    with translation.override("ja"):
        assert services.sweep_jobs().stalled == 1
    job.refresh_from_db()
    assert (job.error_code, job.error_params) == ("stalled", {"minutes": 30})

    english = login(net.regional)
    assert _reason(_row(english.get(reverse("reports:export_list")).content.decode(), job)) == (
        STALLED_EN
    )

    japanese = _in_language(login(net.regional), "ja")
    page = japanese.get(reverse("reports:export_list")).content.decode()
    assert '<html lang="ja">' in page
    row = _row(page, job)
    assert _reason(row) == STALLED_JA
    assert "The export stopped" not in row
    # The restart button stays (in Japanese), the polled row says the same.
    assert reverse("reports:export_job_restart", args=[job.pk]) in row
    assert "最初からやり直す" in row
    polled = japanese.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert _reason(polled) == STALLED_JA

    chinese = _in_language(login(net.regional), "zh-hans")
    polled = chinese.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert _reason(polled) == STALLED_ZH


def test_a_build_failure_keeps_the_technical_detail_untranslated(
    facts, login, export_root, monkeypatch
):
    def broken(kpis: Any) -> Any:
        raise OSError("No space left on device")

    monkeypatch.setattr(pdf, "render_pack_pdf", broken)
    job = services.run_pack_job(job_id=_job(facts, status="pending").pk)
    assert (job.status, job.error_code) == ("failed", "build_failed")
    assert job.error_params == {"error": "OSError: No space left on device"}
    assert job.file == "" and not [p for p in export_root.iterdir() if p.is_file()]

    with translation.override("en"):
        assert job.failure_reason == "The export failed: OSError: No space left on device"
    page = _in_language(login(facts.regional), "ja").get(reverse("reports:export_list"))
    assert _reason(_row(page.content.decode(), job)) == (
        "エクスポートに失敗しました：OSError: No space left on device"
    )


def test_a_long_or_empty_exception_message_gives_a_short_detail():
    assert services.technical_detail(RuntimeError()) == "RuntimeError"
    detail = services.technical_detail(ValueError("x\n" * 1000))
    assert detail.startswith("ValueError: x x x") and len(detail) == services.DETAIL_MAX


def test_lost_access_reads_in_japanese(net, login, export_root):
    job = _job(net, error_code="access_changed")
    page = _in_language(login(net.regional), "ja").get(reverse("reports:export_list"))
    assert _reason(_row(page.content.decode(), job)) == (
        "これらのディーラーへのアクセス権が変更されたため、何もエクスポートされていません。"
    )


@pytest.mark.parametrize(
    ("code", "params", "english", "japanese"),
    [
        # Details that cannot be used: a general sentence instead of an error page.
        ("stalled", {"minutes": "thirty"}, "The export stopped before it finished.", None),
        ("stalled", {"minutes": 0}, "The export stopped before it finished.", None),
        ("stalled", {"minutes": True}, "The export stopped before it finished.", None),
        ("stalled", [], "The export stopped before it finished.", None),
        ("build_failed", {"error": ""}, "The export failed.", "エクスポートに失敗しました。"),
        ("build_failed", {}, "The export failed.", "エクスポートに失敗しました。"),
        ("build_failed", {"error": 42}, "The export failed.", "エクスポートに失敗しました。"),
        ("no_such_code", {"error": "x"}, "The export failed.", "エクスポートに失敗しました。"),
        ("", {}, "The export failed.", "エクスポートに失敗しました。"),
        ("legacy", {"text": " "}, "The export failed.", "エクスポートに失敗しました。"),
        # A sentence stored before reason codes, not recognised: shown as it was written.
        ("legacy", {"text": "Disk quota exceeded"}, "Disk quota exceeded", "Disk quota exceeded"),
    ],
)
def test_unusable_reasons_give_a_general_sentence(net, code, params, english, japanese):
    job = _job(net, error_code=code, error_params=params)
    job.refresh_from_db()
    with translation.override("en"):
        assert job.failure_reason.startswith(english)
    with translation.override("ja"):
        reason = job.failure_reason
        if japanese is not None:
            assert reason == japanese
        else:
            assert reason == "エクスポートが完了前に停止しました。 もう一度開始してください。"


def test_only_a_failed_job_has_a_reason(net):
    for status in ("pending", "running", "done", "expired"):
        assert _job(net, status=status, error_code="stalled").failure_reason == ""


def test_someone_elses_failed_job_stays_invisible(net, login, export_root):
    theirs = _job(
        net,
        user=net.hq_admin,
        dealer_ids=[net.c.pk],
        error_code="build_failed",
        error_params={"error": "OSError: secret path /srv/x"},
    )
    mine = _job(net, error_code="access_changed")
    for user in (net.regional, hq_user("hq_admin", username="another_admin")):
        client = _in_language(login(user), "ja")
        page = client.get(reverse("reports:export_list")).content.decode()
        assert f'id="export-job-{theirs.pk}"' not in page
        assert "secret path" not in page
        assert client.get(reverse("reports:export_job", args=[theirs.pk])).status_code == 404
        restart = client.post(reverse("reports:export_job_restart", args=[theirs.pk]))
        assert restart.status_code == 404
    assert f'id="export-job-{mine.pk}"' in (
        login(net.regional).get(reverse("reports:export_list")).content.decode()
    )
    assert ExportJob.objects.count() == 2


# --- the migration that turned the stored English sentences into codes ---------------------------

migration = importlib.import_module("reports.migrations.0010_export_failure_reason")


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        (
            "Your access to these dealers has changed; nothing was exported.",
            "access_changed",
            {},
        ),
        (
            "The export failed: [Errno 28] No space left on device",
            "build_failed",
            {"error": "[Errno 28] No space left on device"},
        ),
        (STALLED_EN, "stalled", {"minutes": 30}),
        (
            "The export stopped before it finished (no progress for 45 minutes). Start it again.",
            "stalled",
            {"minutes": 45},
        ),
        # Not one of ours (or changed by hand): kept as written.
        ("Something else went wrong", "legacy", {"text": "Something else went wrong"}),
        ("The export failed: ", "legacy", {"text": "The export failed:"}),
        (
            "The export stopped before it finished (no progress for many minutes).",
            "legacy",
            {"text": "The export stopped before it finished (no progress for many minutes)."},
        ),
        ("", "", {}),
    ],
)
def test_migration_maps_old_english_sentences_to_codes(text, code, params):
    assert migration.reason_of(text) == (code, params)
    if code:
        assert migration.sentence_of(code, params) == text.strip()
