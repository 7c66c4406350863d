"""Capture jobs made before CaptureJob.province existed get the province of their
organisation, so the province's authorities see them too (access._capture_job_filter)."""

from django.db import migrations


def backfill(apps, schema_editor):
    CaptureJob = apps.get_model("trace", "CaptureJob")
    AdminUnit = apps.get_model("places", "AdminUnit")
    province_of: dict[int, int | None] = {}
    jobs = CaptureJob.objects.filter(province__isnull=True, organisation__isnull=False)
    for unit_id in jobs.values_list("organisation__unit_id", flat=True).distinct():
        unit = AdminUnit.objects.filter(pk=unit_id).first()
        while unit is not None and unit.level != "province" and unit.parent_id:
            unit = AdminUnit.objects.filter(pk=unit.parent_id).first()
        province_of[unit_id] = unit.pk if unit is not None and unit.level == "province" else None
    for unit_id, province_id in province_of.items():
        if province_id is not None:
            jobs.filter(organisation__unit_id=unit_id).update(province_id=province_id)


class Migration(migrations.Migration):
    dependencies = [
        ("trace", "0005_event_parties_and_market"),
        ("places", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
