"""Load the administrative units (current and earlier tree, and the mapping) from the
installed data packages; see agritrace.places.loader. Run `manage.py load_units` after
upgrading those packages."""

from django.db import migrations


def load(apps, schema_editor):
    from agritrace.places.loader import load_units

    load_units(
        AdminUnit=apps.get_model("places", "AdminUnit"),
        UnitMapping=apps.get_model("places", "UnitMapping"),
    )


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=True)]
