from django.db import migrations


def load(apps, schema_editor):
    from agritrace.misuse.rules import load_rules

    load_rules(apps.get_model("misuse", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("misuse", "0001_rules_cases")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
