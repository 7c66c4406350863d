"""Residue limits, lab results and residue cases name their active ingredient from the diary's
input catalogue (diary.ActiveIngredient) instead of free text: step 1, the new columns."""

import django.db.models.deletion
from django.db import migrations, models


def _ref(related_name):
    return models.ForeignKey(
        null=True,
        blank=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="diary.activeingredient",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0002_inputs"),
        ("supervision", "0002_catalogue"),
    ]

    operations = [
        # Constraints on the free-text columns go first, and those columns get a default, so
        # that the way back (which re-adds them empty before filling them) works too.
        migrations.RemoveConstraint(model_name="residuelimit", name="mrl_unique"),
        migrations.RemoveConstraint(model_name="labresult", name="result_once"),
        migrations.AlterField(
            "residuelimit",
            "ingredient",
            models.CharField(default="", max_length=100, verbose_name="active ingredient"),
        ),
        migrations.AlterField(
            "labresult",
            "ingredient",
            models.CharField(default="", max_length=100, verbose_name="active ingredient"),
        ),
        migrations.AlterField(
            "residuecase", "ingredient", models.CharField(default="", max_length=100)
        ),
        migrations.AddField("residuelimit", "ingredient_ref", _ref("+")),
        migrations.AddField("labresult", "ingredient_ref", _ref("+")),
        migrations.AddField("residuecase", "ingredient_ref", _ref("+")),
    ]
