from django.db import migrations


def load(apps, schema_editor):
    from agritrace.registry.catalogue import load_catalogue

    load_catalogue(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("places", "0002_load_units"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
