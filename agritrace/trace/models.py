"""Traceability records: EPCIS 2.0 events as captured, and the indexes that answer queries and
walk the lot graph without reading the events.

Built for hundreds of millions of events: every query path ends in an index on an integer or a
short string. An identifier (EPC, class, lot, SSCC…) is stored once in `Lot` and referred to by
its integer key from `EventEPC` (which events name it, in which role) and from `LotLink` (which
lots it was made from or packed into), so a backward trace is a walk over `LotLink` rows by
index, one query per generation, never a scan of the events.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agritrace.accounts.models import Organisation
from agritrace.places.models import AdminUnit
from agritrace.registry.models import SourcedData


class CaptureJob(models.Model):
    """One submitted EPCIS document (the capture job resource of the EPCIS REST bindings)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", pgettext_lazy("a capture job that did not finish", "Failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    event_count = models.PositiveIntegerField(_("events in the document"), default=0)
    stored_count = models.PositiveIntegerField(_("events stored"), default=0)
    duplicate_count = models.PositiveIntegerField(_("events already stored"), default=0)
    # A background capture job's progress (capture_jobs.py): events checked so far.
    events_done = models.PositiveIntegerField(_("events checked so far"), default=0)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="capture_jobs"
    )
    document_id = models.CharField(_("document id"), max_length=500, blank=True)
    # Scope: the province of the capturing organisation (the authority sees its province's
    # jobs, and those whose refused events were at its areas or packing houses).
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The document as received: its SHA-256 and size in bytes, and for a refused document the
    # body itself up to AGRITRACE_TRACE_REFUSED_BODY_BYTES (refusals.py).
    document_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    document_size = models.PositiveBigIntegerField(_("size of the document (bytes)"), default=0)
    document_body = models.TextField(_("document as received"), blank=True)
    body_truncated = models.BooleanField(_("body cut at the limit"), default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["province", "status", "-created_at"], name="trace_job_province"),
        ]

    def __str__(self) -> str:
        return f"capture {self.pk} ({self.status})"

    @property
    def capture_id(self) -> str:
        return str(self.pk)


class CaptureRefusal(models.Model):
    """One refused event of a refused document, by rule (refusals.py): the facts the
    authority and the misuse app look at (a harvest under a suspended code is evidence).
    Kept although the document's events were not stored."""

    job = models.ForeignKey(CaptureJob, on_delete=models.CASCADE, related_name="refusals")
    event_index = models.PositiveIntegerField(_("index in the document"), null=True)
    event_id = models.CharField(_("event ID"), max_length=500, blank=True)
    rule = models.CharField(_("rule"), max_length=40)
    path = models.CharField(_("JSON path"), max_length=300, blank=True)
    message = models.TextField(_("message"))
    event_type = models.CharField(_("event type"), max_length=20, blank=True)
    biz_step = models.CharField(_("business step"), max_length=255, blank=True)
    event_time = models.DateTimeField(_("event time"), null=True, blank=True)
    area = models.ForeignKey(
        "registry.PlantingArea",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="capture_refusals",
    )
    packing_house = models.ForeignKey(
        "registry.PackingHouse",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="capture_refusals",
    )
    capture_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The province of the event's location, else of the capturing organisation.
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("refused at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="trace_refusal_rule"),
            models.Index(fields=["area", "event_time"], name="trace_refusal_area"),
            models.Index(fields=["packing_house", "event_time"], name="trace_refusal_house"),
            models.Index(fields=["province", "-created_at"], name="trace_refusal_province"),
            models.Index(fields=["capture_org", "-created_at"], name="trace_refusal_org"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.job_id}/{self.event_index})"


class EventType(models.TextChoices):
    OBJECT = "ObjectEvent", "ObjectEvent"
    AGGREGATION = "AggregationEvent", "AggregationEvent"
    TRANSACTION = "TransactionEvent", "TransactionEvent"
    TRANSFORMATION = "TransformationEvent", "TransformationEvent"
    ASSOCIATION = "AssociationEvent", "AssociationEvent"


class Event(models.Model):
    """One EPCIS event. `document` is the event exactly as captured (with its JSON-LD context
    attached, so its extensions keep their namespaces); the columns are what queries filter on,
    in a normal form (CBV words compact, times in UTC)."""

    event_id = models.CharField(_("event ID"), max_length=500, unique=True)
    event_hash = models.CharField(
        _("event hash ID"),
        max_length=100,
        unique=True,
        help_text=_("EPCIS Event Hash ID (CBV 2.0): the same event captured twice is stored once"),
    )
    # The same event's ID in the CBV 2.1 revision of the algorithm (trace.hashing), so that a
    # partner's eventID of either version finds it.
    event_hash_v21 = models.CharField(
        _("event hash ID (CBV 2.1)"), max_length=100, unique=True, null=True, blank=True
    )
    #: The CBV version of event_id when it is an event hash ID ("CBV2.0", "CBV2.1"), else "".
    hash_version = models.CharField(_("event ID hash version"), max_length=10, blank=True)
    # The hash ID an earlier release of trace.hashing gave the event, where it differs from
    # event_hash (migration 0010): looking the event up by it still finds it.
    former_hash = models.CharField(_("former event hash ID"), max_length=100, blank=True)
    event_type = models.CharField(_("event type"), max_length=20, choices=EventType.choices)
    action = models.CharField(_("action"), max_length=8, blank=True)
    event_time = models.DateTimeField(_("event time"))
    event_time_zone_offset = models.CharField(_("time zone offset"), max_length=6)
    record_time = models.DateTimeField(_("record time"), default=timezone.now)
    biz_step = models.CharField(_("business step"), max_length=255, blank=True)
    disposition = models.CharField(_("disposition"), max_length=255, blank=True)
    read_point = models.CharField(_("read point"), max_length=255, blank=True)
    biz_location = models.CharField(_("business location"), max_length=255, blank=True)
    error_declaration = models.JSONField(_("error declaration"), null=True, blank=True)
    document = models.JSONField(_("event as captured"))
    capture_job = models.ForeignKey(CaptureJob, on_delete=models.PROTECT, related_name="events")
    # Scope, decided once at capture time (see accounts.access._event_filter).
    capture_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.ForeignKey(
        "registry.PlantingArea",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trace_events",
    )
    packing_house = models.ForeignKey(
        "registry.PackingHouse",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trace_events",
    )
    # Who ships, who receives, for which market, resolved at capture by the convention of
    # docs/epcis-parties.md (parties.py): the source owning_party (for an export, the
    # exporter), the destination owning_party (the buyer), the agt:destinationCountry market
    # code (CN, US…). Null / blank when the event names none or names an unknown party.
    owning_party = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owning party (shipper)"),
    )
    destination_party = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owning party at the destination (buyer)"),
    )
    destination_market = models.CharField(_("destination market"), max_length=8, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owning_party", "event_time"], name="trace_event_owner"),
            models.Index(fields=["destination_party", "event_time"], name="trace_event_buyer"),
            models.Index(fields=["destination_market", "event_time"], name="trace_event_market"),
            models.Index(fields=["event_time"], name="trace_event_time"),
            models.Index(fields=["record_time"], name="trace_event_record_time"),
            models.Index(fields=["biz_step", "event_time"], name="trace_event_bizstep"),
            models.Index(fields=["read_point"], name="trace_event_read_point"),
            models.Index(fields=["biz_location"], name="trace_event_biz_location"),
            models.Index(fields=["event_type", "event_time"], name="trace_event_type"),
            models.Index(fields=["former_hash"], name="trace_event_former_hash"),
            # Misuse detection's full scan (misuse/detect): an area's harvests and a packing
            # house's packings and receivings of a season, read from the index alone (the
            # event rows hold the whole captured document); the steps are those of
            # misuse.detect.base.HARVEST_STEPS and misuse.detect.capacity.
            models.Index(
                fields=["area", "event_time", "id"],
                condition=models.Q(
                    biz_step__in=["commissioning", "harvesting"], error_declaration__isnull=True
                ),
                name="trace_event_area_harvests",
            ),
            models.Index(
                fields=["packing_house", "event_time", "biz_step", "id"],
                condition=models.Q(
                    biz_step__in=["packing", "receiving"], error_declaration__isnull=True
                ),
                name="trace_event_house_uses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_time:%Y-%m-%d %H:%M} {self.biz_step}"

    @property
    def is_erroneous(self) -> bool:
        return self.error_declaration is not None


class Lot(models.Model):
    """An identifier named by events: an instance (SGTIN, SSCC…), a class (LGTIN lot, a lot
    URI of this service's namespace) or a pattern. `uri` is its canonical form (constrained GS1
    Digital Link for GS1 keys), so a URN and a Digital Link of the same thing are one Lot."""

    uri = models.CharField(_("identifier"), max_length=255, unique=True)
    first_seen = models.DateTimeField(_("first event"), null=True, blank=True)
    # What the domain checks (checks.py) keep per lot, updated at capture: when the lot came
    # into being (its earliest commissioning, transformation output or aggregation ADD), the
    # planting area it was harvested at, its crop, how many kilograms were made and how many
    # were drawn from it by transformations, and the declared net weight of one item of it.
    origin_time = models.DateTimeField(_("created by an event at"), null=True, blank=True)
    origin_area = models.ForeignKey(
        "registry.PlantingArea",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trace_lots",
        verbose_name=_("harvested at"),
    )
    crop = models.ForeignKey(
        "registry.Crop",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    produced_kg = models.DecimalField(
        _("kilograms made"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    drawn_kg = models.DecimalField(
        _("kilograms drawn by transformations"), max_digits=20, decimal_places=6, default=0
    )
    net_weight_kg = models.DecimalField(
        _("net weight of one item (kg)"), max_digits=20, decimal_places=6, null=True, blank=True
    )

    def __str__(self) -> str:
        return self.uri


class Role(models.TextChoices):
    EPC = "epc", _("EPC list")
    PARENT = "parent", _("parent")
    CHILD = "child", _("child EPC")
    INPUT = "input", _("input EPC")
    OUTPUT = "output", _("output EPC")
    QUANTITY = "quantity", _("quantity")
    CHILD_QUANTITY = "child_qty", _("child quantity")
    INPUT_QUANTITY = "input_qty", _("input quantity")
    OUTPUT_QUANTITY = "output_qty", _("output quantity")


class EventEPC(models.Model):
    """Which events name which identifier, in which role (one row per identifier per event)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="epcs")
    # Indexed with the role below (lot, role); no separate index on lot alone.
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="event_links", db_index=False
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    uom = models.CharField(max_length=3, blank=True)

    class Meta:
        indexes = [models.Index(fields=["lot", "role"], name="trace_eventepc_lot_role")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.role} {self.lot_id}"


class LotLink(models.Model):
    """`source` went into `target`: consumed by a transformation that made it, or packed into
    it (aggregation, association). The edges of the lot graph that traces walk."""

    class Kind(models.TextChoices):
        TRANSFORMATION = "transform", _("transformed into")
        AGGREGATION = "aggregate", _("packed into")
        ASSOCIATION = "associate", _("associated with")

    # Both directions are covered by the two composite indexes below.
    source = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="links_out", db_index=False
    )
    target = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="links_in", db_index=False
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="lot_links")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        indexes = [
            models.Index(fields=["target", "source"], name="trace_lotlink_target"),
            models.Index(fields=["source", "target"], name="trace_lotlink_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.kind})"


class FlagSeverity(models.TextChoices):
    WARNING = "warning", _("Warning")
    SERIOUS = "serious", _("Serious")


class EventFlag(models.Model):
    """A domain check that an event failed without being refused (see checks.py): it is
    stored, and the flag tells the authorities and the capturer what looks wrong."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="flags")
    rule = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(
        _("severity"), max_length=10, choices=FlagSeverity.choices, default=FlagSeverity.WARNING
    )
    message = models.TextField(_("message"))
    path = models.CharField(_("JSON path"), max_length=300, blank=True)
    lot = models.ForeignKey(
        Lot, null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["rule", "-created_at"], name="trace_flag_rule")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message[:60]}"


class PackOutFactor(SourcedData):
    """How many kilograms of packed produce one kilogram of a crop's harvest may give at most
    (a packing removes stalks, culls and water; it does not add mass). Regulatory data: set
    by the authority, with its source; 1.0 (output mass never above input mass) until then."""

    crop = models.OneToOneField(
        "registry.Crop", on_delete=models.CASCADE, related_name="pack_out_factor"
    )
    factor = models.DecimalField(_("pack-out factor"), max_digits=6, decimal_places=4)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["crop__code"]

    def __str__(self) -> str:
        return f"{self.crop_id}: {self.factor}"


class Recall(models.Model):
    """A recall decided by a province or plant-protection office: from a failed residue
    sample or an importing country's notice, every lot reached by a forward trace."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        """How a closed recall ended: what a stamp of a recalled lot says afterwards."""

        COMPLETED = "completed", _("Completed: the lots were withdrawn (they stay recalled)")
        LIFTED = "lifted", _("Lifted: the lots are released (no longer recalled)")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    sample = models.ForeignKey(
        "supervision.Sample", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice = models.ForeignKey(
        "supervision.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    areas = models.ManyToManyField("registry.PlantingArea", blank=True, related_name="+")
    start_lots = models.JSONField(_("lots the trace started from"), default=list, blank=True)
    province = models.ForeignKey(
        AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_org = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    notified = models.ManyToManyField(Organisation, blank=True, related_name="recalls")
    shipments = models.JSONField(_("shipments reached"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_note = models.TextField(_("how it was resolved"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def lots_recalled(self) -> bool:
        """Do this recall's lots show as recalled (stamps, lot status)?"""
        return self.status == self.Status.OPEN or self.outcome == self.Outcome.COMPLETED

    def __str__(self) -> str:
        return self.reference


class RecallLot(models.Model):
    """A lot marked recalled by a recall."""

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="recalls")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recall", "lot"], name="trace_recall_lot_once")
        ]
        indexes = [models.Index(fields=["lot"], name="trace_recalllot_lot")]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.lot_id}"
