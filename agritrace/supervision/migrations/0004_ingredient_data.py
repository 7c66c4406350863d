"""Step 2: each free-text ingredient is matched by name (any case, or a known synonym) to the
input catalogue; a name the catalogue lacks is added to it with source 'unknown'. '*' (a
market's default limit) becomes an empty ingredient. Samples' requested analyses are rewritten
with the catalogue's names."""

from django.db import migrations


def forwards(apps, schema_editor):
    from agritrace.supervision.catalogue import ingredient_for

    Ingredient = apps.get_model("diary", "ActiveIngredient")
    cache: dict = {}
    for model in ("ResidueLimit", "LabResult", "ResidueCase"):
        for row in apps.get_model("supervision", model).objects.all():
            row.ingredient_ref = ingredient_for(Ingredient, row.ingredient, cache)
            row.save(update_fields=["ingredient_ref"])
    for sample in apps.get_model("supervision", "Sample").objects.all():
        names = []
        for name in sample.analyses or []:
            found = ingredient_for(Ingredient, name, cache)
            if found is not None and found.name not in names:
                names.append(found.name)
        if names != sample.analyses:
            sample.analyses = names
            sample.save(update_fields=["analyses"])


def backwards(apps, schema_editor):
    for model in ("ResidueLimit", "LabResult", "ResidueCase"):
        for row in apps.get_model("supervision", model).objects.select_related("ingredient_ref"):
            row.ingredient = row.ingredient_ref.name.lower() if row.ingredient_ref_id else "*"
            row.save(update_fields=["ingredient"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0003_ingredient_refs")]

    operations = [migrations.RunPython(forwards, backwards)]
