"""Export jobs keep why they failed as a reason code plus untranslated details (error_code,
error_params), translated when shown, instead of a sentence in the worker's language (error).

The sentences written so far were English (the worker's language); the ones this code wrote are
mapped to their codes. Any other text is kept as it was (code "legacy", shown as written).
Backwards, the English sentences are written again. ExportJob is not a tenant table (no RLS)."""

import re

from django.db import migrations, models

ACCESS_CHANGED = "Your access to these dealers has changed; nothing was exported."
BUILD_FAILED = re.compile(r"The export failed: (?P<error>.+)", re.DOTALL)
STALLED = re.compile(
    r"The export stopped before it finished \(no progress for (?P<minutes>[0-9]{1,6}) minutes\)\."
    r" Start it again\."
)


def reason_of(text):
    """(code, params) for an old English sentence; ("", {}) for none."""
    text = (text or "").strip()
    if not text:
        return "", {}
    if text == ACCESS_CHANGED:
        return "access_changed", {}
    match = STALLED.fullmatch(text)
    if match:
        return "stalled", {"minutes": int(match["minutes"])}
    match = BUILD_FAILED.fullmatch(text)
    if match and match["error"].strip():
        return "build_failed", {"error": match["error"].strip()}
    return "legacy", {"text": text}


def sentence_of(code, params):
    """The English sentence the code wrote before (for going backwards)."""
    params = params if isinstance(params, dict) else {}
    if code == "access_changed":
        return ACCESS_CHANGED
    if code == "stalled":
        minutes = params.get("minutes")
        if isinstance(minutes, int):
            return (
                f"The export stopped before it finished (no progress for {minutes} minutes)."
                " Start it again."
            )
        return "The export stopped before it finished. Start it again."
    if code == "build_failed":
        return f"The export failed: {params.get('error', '')}".strip()
    if code == "legacy":
        return str(params.get("text", ""))
    return "The export failed." if code else ""


def to_codes(apps, schema_editor):
    ExportJob = apps.get_model("reports", "ExportJob")
    for job in ExportJob.objects.exclude(error="").only("pk", "error").iterator():
        code, params = reason_of(job.error)
        ExportJob.objects.filter(pk=job.pk).update(error_code=code, error_params=params)


def to_sentences(apps, schema_editor):
    ExportJob = apps.get_model("reports", "ExportJob")
    rows = ExportJob.objects.exclude(error_code="").only("pk", "error_code", "error_params")
    for job in rows.iterator():
        text = sentence_of(job.error_code, job.error_params)[:500]
        ExportJob.objects.filter(pk=job.pk).update(error=text)


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_backfill_funnel_month")]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="error_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("access_changed", "Access to the dealers changed"),
                    ("build_failed", "The file could not be built"),
                    ("stalled", "No progress (worker lost)"),
                    ("legacy", "Recorded before reason codes"),
                ],
                max_length=24,
                verbose_name="failure reason",
            ),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="error_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="failure details"),
        ),
        migrations.RunPython(to_codes, to_sentences),
        migrations.RemoveField(model_name="exportjob", name="error"),
    ]
