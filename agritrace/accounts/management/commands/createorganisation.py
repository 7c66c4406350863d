from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts.models import AUTHORITY_KINDS, Organisation, OrgKind
from agritrace.places.services import find_commune, find_province


class Command(BaseCommand):
    help = (
        "Add an organisation: an authority on its province, or a commune committee, "
        "cooperative, packing house, exporter, laboratory or household on its commune."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=OrgKind.values)
        parser.add_argument("--province", required=True, help="Province name or code (current)")
        parser.add_argument("--commune", help="Commune or ward name, for non-authorities")
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--address", default="")
        parser.add_argument("--tax-code", default="")

    def handle(self, *args, **options):
        name = options["name"].strip()
        kind = options["kind"]
        if not name:
            raise CommandError(_("Give the organisation a name."))
        province = find_province(options["province"])
        if province is None:
            raise CommandError(_("Unknown province “%(p)s”.") % {"p": options["province"]})
        unit = province
        if options["commune"]:
            if kind in AUTHORITY_KINDS:
                raise CommandError(_("An authority is placed on its province, not a commune."))
            unit = find_commune(province, options["commune"])
            if unit is None:
                raise CommandError(
                    _("No single commune or ward “%(c)s” in %(p)s.")
                    % {"c": options["commune"], "p": province.name}
                )
        elif kind == OrgKind.COMMUNE:
            raise CommandError(_("A commune committee needs --commune."))
        if Organisation.objects.filter(name=name, kind=kind, unit=unit).exists():
            raise CommandError(_("“%(n)s” already exists there.") % {"n": name})
        org = Organisation.objects.create(
            name=name,
            kind=kind,
            unit=unit,
            email=options["email"],
            phone=options["phone"],
            address=options["address"],
            tax_code=options["tax_code"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                _("Created organisation %(id)d: %(n)s (%(k)s, %(u)s).")
                % {"id": org.pk, "n": name, "k": org.get_kind_display(), "u": unit.name}
            )
        )
