from django.db import migrations


def load(apps, schema_editor):
    from agritrace.products.catalogue import load_products

    load_products(apps)


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial"), ("registry", "0002_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
