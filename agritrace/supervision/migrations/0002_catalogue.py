from django.db import migrations


def load(apps, schema_editor):
    from agritrace.supervision.catalogue import load_supervision_catalogue

    load_supervision_catalogue(apps, limits=False)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("registry", "0002_catalogue"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
