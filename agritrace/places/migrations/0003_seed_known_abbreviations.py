"""Seed the province abbreviations seen on real codes (places/data/abbreviations.json)."""

from django.db import migrations


def seed(apps, schema_editor):
    from agritrace.places.abbreviations import load_known

    load_known(apps)


class Migration(migrations.Migration):
    dependencies = [("places", "0002_load_units")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, elidable=True)]
