"""Forms that record traceability events for people who will never write JSON: a harvest, a
purchase or receiving, a packing, a phytosanitary inspection, a shipment. They pick choices in
the actor's scope and clean what is typed; `builders` turns them into EPCIS 2.0 events and
`services.capture` checks and stores them, whose errors come back beside the fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.formats.fields import DateField, DateInput, DateTimeField, DateTimeInput
from agritrace.registry.models import Crop, Market, PackingHouse, PlantingArea, Plot, Variety

from . import builders, services
from .models import Event, EventEPC

UNIT_CHOICES = [
    ("KGM", _("kg")),
    ("TNE", _("tonnes")),
    ("H87", _("pieces")),
    ("XBX", _("boxes")),
    ("XCT", _("cartons")),
]

MAX_SUGGESTED_LOTS = 200
#: Above this many plots in the actor's areas, the harvest form lists one area's plots only.
MAX_PLOT_CHOICES = 300


def _decimal_widget():
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def _when_field(label=None):
    return DateTimeField(
        label=label or _("Date and time"),
        widget=DateTimeInput(),
    )


def more_than_zero(value) -> None:
    """A quantity recorded must be more than 0 (nothing harvested, packed or shipped is not
    an event)."""
    if value is not None and value <= 0:
        raise forms.ValidationError(_("The quantity must be more than 0."), code="min_value")


def scoped_areas(actor: Actor):
    """Planting areas the actor may see that have a code (an EPCIS location needs one)."""
    return (
        visible(actor, PlantingArea.objects.select_related("crop", "variety"))
        .filter(code__isnull=False)
        .exclude(code="")
        .order_by("code")
    )


def scoped_houses(actor: Actor):
    return (
        visible(actor, PackingHouse.objects.all())
        .filter(code__isnull=False)
        .exclude(code="")
        .order_by("code")
    )


def suggested_lots(actor: Actor) -> list[str]:
    """Recent lots named by events the actor may see (for the lot fields' suggestions)."""
    recent = list(
        visible(actor, Event.objects.all()).order_by("-pk").values_list("pk", flat=True)[:300]
    )
    uris = (
        EventEPC.objects.filter(event_id__in=recent)
        .order_by("-event_id")
        .values_list("lot__uri", flat=True)
    )
    seen: dict[str, None] = {}
    for uri in uris:
        seen.setdefault(uri, None)
        if len(seen) >= MAX_SUGGESTED_LOTS:
            break
    return list(seen)


class TraceForm(forms.Form):
    """Lot rows ({prefix}{i}_lot / _quantity / _unit) and the actor's choices."""

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        """What has not happened yet cannot be recorded (timing.judge_future, here beside
        the date field)."""
        from .timing import future_tolerance

        data = super().clean()
        moment = data.get("when")
        if moment is not None and moment > timezone.now() + future_tolerance():
            self.add_error("when", _("This date is in the future: record what has happened."))
        day = data.get("harvest_date")
        if day is not None and day > timezone.localdate():
            self.add_error(
                "harvest_date", _("This date is in the future: record what has happened.")
            )
        return data

    def add_rows(self, prefix: str, count: int, lot_label, required: int = 1, lot_help=None):
        for i in range(count):
            first = i < required
            self.fields[f"{prefix}{i}_lot"] = forms.CharField(
                label=lot_label if count == 1 else f"{lot_label} {i + 1}",
                required=first,
                max_length=240,
                help_text=lot_help if i == 0 else None,
                widget=forms.TextInput(attrs={"list": "lot-suggestions", "autocomplete": "off"}),
            )
            self.fields[f"{prefix}{i}_quantity"] = forms.DecimalField(
                label=_("Quantity"),
                required=first,
                validators=[more_than_zero],
                max_digits=18,
                decimal_places=6,
                widget=_decimal_widget(),
            )
            self.fields[f"{prefix}{i}_unit"] = forms.ChoiceField(
                label=_("Unit"), choices=UNIT_CHOICES, initial="KGM"
            )

    def row_groups(self, prefix: str) -> list[tuple]:
        """(lot field, quantity field, unit field) bound fields, for the template."""
        groups = []
        i = 0
        while f"{prefix}{i}_lot" in self.fields:
            groups.append(
                (self[f"{prefix}{i}_lot"], self[f"{prefix}{i}_quantity"], self[f"{prefix}{i}_unit"])
            )
            i += 1
        return groups

    def rows(self, prefix: str, default_owner: str = "") -> list[tuple]:
        """(lot URI, quantity, unit, field prefix) for the filled rows."""
        out = []
        data = self.cleaned_data
        i = 0
        while f"{prefix}{i}_lot" in self.fields:
            lot = (data.get(f"{prefix}{i}_lot") or "").strip()
            amount = data.get(f"{prefix}{i}_quantity")
            if lot or amount is not None:
                out.append(
                    (
                        builders.resolve_lot(lot, default_owner),
                        amount,
                        data.get(f"{prefix}{i}_unit") or "",
                        f"{prefix}{i}_",
                    )
                )
            i += 1
        return out

    def check_rows(self, prefix: str) -> None:
        """A lot without a quantity, or a quantity without a lot, is named beside the row."""
        i = 0
        while f"{prefix}{i}_lot" in self.fields:
            lot = (self.cleaned_data.get(f"{prefix}{i}_lot") or "").strip()
            amount = self.cleaned_data.get(f"{prefix}{i}_quantity")
            if lot and amount is None and f"{prefix}{i}_quantity" not in self.errors:
                self.add_error(f"{prefix}{i}_quantity", _("Give the quantity of this lot."))
            if amount is not None and not lot and f"{prefix}{i}_lot" not in self.errors:
                self.add_error(f"{prefix}{i}_lot", _("Which lot?"))
            i += 1

    def location_choices(self, houses=True, areas=False, own=True) -> list[tuple[str, str]]:
        choices = [("", "—")]
        if houses:
            choices += [
                (services.location_uri(h.code), f"{h.name} ({h.code})")
                for h in scoped_houses(self.actor)
            ]
        if areas:
            choices += [
                (services.location_uri(a.code), f"{a.name} ({a.code})")
                for a in scoped_areas(self.actor)
            ]
        if own and self.actor.organisation is not None:
            org = self.actor.organisation
            choices.append((builders.party_uri(org), _("Our premises: %(org)s") % {"org": org}))
        return choices


def _organisation_choices(actor: Actor, kinds: list | None = None) -> list[tuple[str, str]]:
    """Organisations a shipment may go to (exporters, packing houses, cooperatives)."""
    kinds = kinds or [OrgKind.EXPORTER, OrgKind.PACKING_HOUSE, OrgKind.REPRESENTATIVE]
    orgs = Organisation.objects.filter(kind__in=kinds).order_by("name")
    if actor.organisation is not None:
        orgs = orgs.exclude(pk=actor.organisation.pk)
    return [("", "—")] + [(str(o.pk), o.name) for o in orgs[:500]]


class HarvestForm(TraceForm):
    plots_need_area = False
    area = forms.ModelChoiceField(label=_("Planting area"), queryset=PlantingArea.objects.none())
    harvest_date = DateField(
        label=_("Harvest date"),
        widget=DateInput(),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        validators=[more_than_zero],
        max_digits=18,
        decimal_places=6,
        widget=_decimal_widget(),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES, initial="KGM")
    plots = forms.ModelMultipleChoiceField(
        label=_("Plots harvested"),
        queryset=Plot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    crop = forms.ModelChoiceField(
        label=_("Crop"),
        queryset=Crop.objects.all(),
        required=False,
        help_text=_("Leave empty for the planting area's crop"),
    )
    variety = forms.ModelChoiceField(
        label=_("Variety"), queryset=Variety.objects.select_related("crop"), required=False
    )
    lot_code = forms.CharField(
        label=_("Lot code"),
        required=False,
        max_length=60,
        help_text=_("Leave empty to number the lot automatically"),
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        areas = scoped_areas(actor)
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda a: f"{a.name} ({a.code})"
        plots = Plot.objects.filter(area__in=areas).select_related("household", "area")
        chosen = self.data.get("area") or self.initial.get("area")
        if chosen and str(chosen).isdigit():
            plots = plots.filter(area_id=int(chosen))
        elif plots.count() > MAX_PLOT_CHOICES:
            # Too many to list for every area: the page asks for the area first.
            plots = plots.none()
            self.plots_need_area = True
        self.fields["plots"].queryset = plots.order_by("area__code", "household__name", "label")
        personal = _may_see_personal(actor)
        self.fields["plots"].label_from_instance = lambda p: (
            f"{p.area.code} · {p.household.name} · {p.label}"
            if personal
            else f"{p.area.code} · {p.label}"
        )
        self.fields["harvest_date"].initial = timezone.localdate()
        if len(areas) == 1:
            self.fields["area"].initial = areas[0].pk

    def clean(self):
        data = super().clean()
        area, plots = data.get("area"), data.get("plots") or []
        if area is not None:
            stray = [p for p in plots if p.area_id != area.pk]
            if stray:
                self.add_error("plots", _("These plots are not in the chosen planting area."))
            variety = data.get("variety")
            crop = data.get("crop") or area.crop
            if variety is not None and variety.crop_id != crop.pk:
                self.add_error("variety", _("This variety is not of the chosen crop."))
            code = (data.get("lot_code") or "").strip()
            if ":" in code or "/" in code:
                self.add_error("lot_code", _("A lot code may not contain ':' or '/'."))
        return data

    def build(self) -> builders.Built:
        data = self.cleaned_data
        area = data["area"]
        code = (data.get("lot_code") or "").strip() or builders.next_lot_code(
            area.code, data["harvest_date"], "H"
        )
        plots = list(data.get("plots") or [])
        households = sorted({p.household for p in plots}, key=lambda h: h.pk)
        return builders.harvest(
            area=area,
            lot=services.lot_uri(area.code, code),
            harvest_date=data["harvest_date"],
            amount=data["quantity"],
            uom=data["unit"],
            crop=data.get("crop"),
            variety=data.get("variety"),
            plots=plots,
            households=households,
        )


def _may_see_personal(actor: Actor) -> bool:
    from agritrace.accounts.access import can

    return can(actor, "see_personal_data")


class PackingForm(TraceForm):
    INPUT_ROWS = 4
    OUTPUT_ROWS = 3

    packing_house = forms.ModelChoiceField(
        label=_("Packing house"), queryset=PackingHouse.objects.none()
    )
    when = _when_field()
    crop = forms.ModelChoiceField(label=_("Crop"), queryset=Crop.objects.all(), required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        houses = scoped_houses(actor)
        self.fields["packing_house"].queryset = houses
        self.fields["packing_house"].label_from_instance = lambda h: f"{h.name} ({h.code})"
        if len(houses) == 1:
            self.fields["packing_house"].initial = houses[0].pk
        self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.add_rows(
            "in_",
            self.INPUT_ROWS,
            _("Input lot"),
            lot_help=_("The lot code as on its label, or its full identifier"),
        )
        self.add_rows(
            "out_",
            self.OUTPUT_ROWS,
            _("Packed lot"),
            lot_help=_("Leave the first code empty to number it automatically"),
        )
        self.fields["out_0_lot"].required = False

    def clean(self):
        data = super().clean()
        self.check_rows("in_")
        self.check_rows("out_")
        if not self.errors and not self.rows("in_"):
            self.add_error("in_0_lot", _("A packing needs at least one input lot."))
        if data.get("out_0_quantity") is None and "out_0_quantity" not in self.errors:
            self.add_error("out_0_quantity", _("Give the quantity of the packed lot."))
        return data

    def build(self) -> builders.Built:
        data = self.cleaned_data
        house = data["packing_house"]
        outputs = self.rows("out_", default_owner=house.code)
        if outputs and not (data.get("out_0_lot") or "").strip():
            code = builders.next_lot_code(house.code, timezone.localtime(data["when"]).date(), "P")
            first = outputs[0]
            outputs[0] = (services.lot_uri(house.code, code), *first[1:])
        return builders.packing(
            house=house,
            inputs=self.rows("in_"),
            outputs=outputs,
            moment=data["when"],
            crop=data.get("crop"),
        )


class ReceivingForm(TraceForm):
    ROWS = 3
    KIND_CHOICES = [
        ("receiving", _("Receiving (goods arrive)")),
        ("purchase", _("Purchase (bought from a grower or trader)")),
    ]
    DOC_CHOICES = [
        ("desadv", _("Despatch advice / delivery note")),
        ("po", _("Purchase order")),
        ("inv", _("Invoice")),
        ("bol", _("Bill of lading / transport document")),
        ("recadv", _("Receiving advice")),
    ]

    kind = forms.ChoiceField(
        label=_("What happened?"),
        choices=KIND_CHOICES,
        initial="receiving",
        widget=forms.RadioSelect,
    )
    location = forms.ChoiceField(label=_("Received at"))
    when = _when_field()
    source = forms.ChoiceField(label=_("From (planting area or packing house)"), required=False)
    sender = forms.ChoiceField(label=_("From (organisation)"), required=False)
    doc_type = forms.ChoiceField(label=_("Document"), choices=DOC_CHOICES, required=False)
    doc_number = forms.CharField(label=_("Document number"), max_length=80, required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["location"].choices = self.location_choices()
        self.fields["source"].choices = self.location_choices(areas=True, own=False)
        self.fields["sender"].choices = _organisation_choices(actor)
        self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.add_rows("lot_", self.ROWS, _("Lot"))

    def clean(self):
        data = super().clean()
        self.check_rows("lot_")
        return data

    def build(self) -> builders.Built:
        data = self.cleaned_data
        sender = data.get("sender")
        return builders.receiving(
            lots=self.rows("lot_"),
            location=data["location"],
            moment=data["when"],
            receiver=self.actor.organisation,
            source=data.get("source") or "",
            source_party=(
                builders.party_uri(Organisation.objects.get(pk=int(sender))) if sender else ""
            ),
            doc_type=data.get("doc_type") or "",
            doc_number=data.get("doc_number") or "",
            purchase=data.get("kind") == "purchase",
        )


class InspectionForm(TraceForm):
    ROWS = 3
    RESULT_CHOICES = [
        ("conformant", _("Passed (conformant)")),
        ("non_conformant", _("Failed (non-conformant)")),
    ]

    location = forms.ChoiceField(label=_("Inspected at"))
    when = _when_field()
    certificate = forms.CharField(label=_("Phytosanitary certificate number"), max_length=80)
    result = forms.ChoiceField(
        label=_("Result"), choices=RESULT_CHOICES, initial="conformant", widget=forms.RadioSelect
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["location"].choices = self.location_choices(areas=True)
        self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.add_rows("lot_", self.ROWS, _("Lot"))

    def clean(self):
        data = super().clean()
        self.check_rows("lot_")
        return data

    def build(self) -> builders.Built:
        data = self.cleaned_data
        return builders.inspection(
            lots=self.rows("lot_"),
            location=data["location"],
            moment=data["when"],
            certificate=data["certificate"],
            conformant=data["result"] == "conformant",
            inspector=self.actor.organisation,
        )


class ShippingForm(TraceForm):
    ROWS = 3

    origin = forms.ChoiceField(label=_("Shipped from"))
    when = _when_field()
    owner = forms.ChoiceField(
        label=_("Goods owned by (exporter)"),
        required=False,
        help_text=_("The exporter the goods belong to, when not your organisation"),
    )
    receiver = forms.ChoiceField(label=_("Shipped to (organisation)"), required=False)
    destination = forms.ChoiceField(label=_("Shipped to (packing house)"), required=False)
    destination_name = forms.CharField(
        label=_("Destination"),
        max_length=200,
        required=False,
        help_text=_("Buyer, port or warehouse and its address, when not in the lists"),
    )
    destination_country = forms.ChoiceField(label=_("Destination country"), required=False)
    transport_doc = forms.CharField(
        label=_("Transport document number (bill of lading, waybill)"),
        max_length=80,
        required=False,
    )
    customs_declaration = forms.CharField(
        label=_("Customs declaration number"), max_length=80, required=False
    )
    invoice = forms.CharField(label=_("Invoice number"), max_length=80, required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["origin"].choices = self.location_choices(areas=True)
        self.fields["receiver"].choices = _organisation_choices(actor)
        self.fields["owner"].choices = _organisation_choices(actor, [OrgKind.EXPORTER])
        houses = PackingHouse.objects.filter(code__isnull=False).exclude(code="").order_by("code")
        self.fields["destination"].choices = [("", "—")] + [
            (services.location_uri(h.code), f"{h.name} ({h.code})") for h in houses[:500]
        ]
        self.fields["destination_country"].choices = [("", "—")] + [
            (m.code, f"{m.code} · {m}") for m in Market.objects.order_by("code")
        ]
        self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.add_rows("lot_", self.ROWS, _("Lot"))

    def clean(self):
        data = super().clean()
        self.check_rows("lot_")
        if not (data.get("receiver") or data.get("destination") or data.get("destination_name")):
            self.add_error("destination_name", _("Say where the shipment goes."))
        return data

    def build(self) -> builders.Built:
        data = self.cleaned_data
        receiver = data.get("receiver")
        destination = data.get("destination") or ""
        name = (data.get("destination_name") or "").strip()
        if not destination and name:
            destination = builders.place_uri(name)
        owner = data.get("owner")
        return builders.shipping(
            lots=self.rows("lot_"),
            origin=data["origin"],
            moment=data["when"],
            # docs/epcis-parties.md: the owner ships (owning_party), we hold the goods.
            shipper=Organisation.objects.get(pk=int(owner)) if owner else self.actor.organisation,
            possessor=self.actor.organisation,
            destination=destination,
            destination_name=name,
            destination_country=data.get("destination_country") or "",
            receiver=Organisation.objects.get(pk=int(receiver)) if receiver else None,
            transport_doc=data.get("transport_doc") or "",
            customs_declaration=data.get("customs_declaration") or "",
            invoice=data.get("invoice") or "",
        )


class ImportForm(forms.Form):
    KIND_CHOICES = [
        ("", _("Workbook (XLSX) with its sheets")),
        ("harvests", _("Harvests")),
        ("packings", _("Packings")),
        ("shipments", _("Shipments")),
    ]
    file = forms.FileField(label=_("Spreadsheet (XLSX or CSV)"))
    kind = forms.ChoiceField(label=_("What a CSV file holds"), choices=KIND_CHOICES, required=False)


class ExportForm(forms.Form):
    start = DateField(label=_("From"), widget=DateInput())
    end = DateField(label=_("To"), widget=DateInput())
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx"
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


class CloseRecallForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How did the recall end?"),
        choices=[],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("How it was resolved"),
        help_text=_("What was withdrawn, destroyed or released, and on what evidence."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, **kwargs):
        from .models import Recall

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = Recall.Outcome.choices
