"""Step 3: the new columns replace the free-text ones; one residue limit per market, crop (or
every crop) and ingredient (or the default), enforced with partial unique constraints; the
starting limits are (re)loaded against the catalogue."""

import django.db.models.deletion
from django.db import migrations, models


def load_limits(apps, schema_editor):
    from agritrace.supervision.catalogue import load_residue_limits

    load_residue_limits(apps)


def _unique(name, fields, crop_null, ingredient_null):
    return models.UniqueConstraint(
        condition=models.Q(crop__isnull=crop_null, ingredient__isnull=ingredient_null),
        fields=fields,
        name=name,
    )


class Migration(migrations.Migration):
    dependencies = [("supervision", "0004_ingredient_data")]

    operations = [
        migrations.RemoveField(model_name="residuelimit", name="ingredient"),
        migrations.RemoveField(model_name="labresult", name="ingredient"),
        migrations.RemoveField(model_name="residuecase", name="ingredient"),
        migrations.RenameField("residuelimit", "ingredient_ref", "ingredient"),
        migrations.RenameField("labresult", "ingredient_ref", "ingredient"),
        migrations.RenameField("residuecase", "ingredient_ref", "ingredient"),
        migrations.AlterField(
            model_name="residuelimit",
            name="ingredient",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: the market's default limit for any other ingredient",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="residue_limits",
                to="diary.activeingredient",
                verbose_name="active ingredient",
            ),
        ),
        migrations.AlterField(
            model_name="labresult",
            name="ingredient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="diary.activeingredient",
                verbose_name="active ingredient",
            ),
        ),
        migrations.AlterField(
            model_name="residuecase",
            name="ingredient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="diary.activeingredient",
                verbose_name="active ingredient",
            ),
        ),
        migrations.AlterField(
            model_name="sample",
            name="analyses",
            field=models.JSONField(
                default=list,
                help_text="Names of the active ingredients (of the input catalogue) to test for",
                verbose_name="analyses requested",
            ),
        ),
        migrations.AlterModelOptions(
            name="residuelimit", options={"ordering": ["market", "crop", "ingredient__name"]}
        ),
        migrations.AlterModelOptions(
            name="labresult", options={"ordering": ["sample", "ingredient__name"]}
        ),
        migrations.AddConstraint(
            model_name="residuelimit",
            constraint=_unique("mrl_unique", ["market", "crop", "ingredient"], False, False),
        ),
        migrations.AddConstraint(
            model_name="residuelimit",
            constraint=_unique("mrl_unique_any_crop", ["market", "ingredient"], True, False),
        ),
        migrations.AddConstraint(
            model_name="residuelimit",
            constraint=_unique("mrl_unique_default", ["market", "crop"], False, True),
        ),
        migrations.AddConstraint(
            model_name="residuelimit",
            constraint=_unique("mrl_unique_any_crop_default", ["market"], True, True),
        ),
        migrations.AddConstraint(
            model_name="labresult",
            constraint=models.UniqueConstraint(fields=("sample", "ingredient"), name="result_once"),
        ),
        migrations.RunPython(load_limits, migrations.RunPython.noop),
    ]
