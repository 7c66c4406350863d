from django.db import migrations


def load(apps, schema_editor):
    from agritrace.diary.catalogue import load_inputs

    load_inputs(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0001_initial"),
        ("registry", "0002_catalogue"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
