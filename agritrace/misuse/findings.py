"""What a rule finds: one `Finding` per rule × subject × season, with the evidence an officer
needs to judge it. `cases.upsert` turns findings into cases; the detection (`detect/`) makes
them; `scan.scan` runs every enabled rule.

A *season* is the harvest year of the events in the service's time zone (settings.TIME_ZONE),
as a string ("2026")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.utils import timezone

#: How many event ids / lot URIs a finding keeps (the total is kept beside them).
EVIDENCE_CAP = 200

SUBJECT_KINDS = ("area", "packing_house", "organisation")


def season_of(moment: datetime | date) -> str:
    """The season (harvest year in the service's time zone) an event time falls in."""
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return str(moment.year)
    return str(moment.year)


def season_bounds(season: str) -> tuple[datetime, datetime]:
    """[start, end) of a season as aware datetimes in the service's time zone. Raises
    ValueError for a season that is not a year."""
    year = parse_season(season)
    tz = timezone.get_current_timezone()
    return (datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz))


def parse_season(season: str | int) -> int:
    """The year of a season ("2026"); ValueError for anything else."""
    text = str(season).strip()
    if not (text.isdigit() and len(text) == 4 and 1900 < int(text) < 2200):
        raise ValueError(f"unknown season {season!r}: a season is a harvest year such as 2026")
    return int(text)


def subject_key(kind: str, subject_id: int) -> str:
    """The stable key a case is unique on with its rule and season ("area:12")."""
    return f"{kind}:{subject_id}"


@dataclass
class Finding:
    """One rule's verdict on one subject (area, packing house or organisation) in one season.

    * ``figures``: the numbers (kg, can_grow_kg, area_ha, yield_t_ha, ratio…)
    * ``threshold``: the thresholds crossed and their values
    * ``events`` / ``lots``: event ids and lot URIs behind it, at most EVIDENCE_CAP each;
      ``event_count`` / ``lot_count`` are the totals
    * ``party_id``: the Organisation using the code (the shipper, packer), or None
    * ``ratio`` (≥ 1): how far the threshold is crossed; 1.0 for yes/no rules
    * ``explanation``: [{feature, value, contribution}] for scored rules
    * ``summary``: one sentence (translated through gettext) with the figures
    """

    rule: str
    season: str
    subject_kind: str
    subject_id: int
    code: str = ""
    figures: dict = field(default_factory=dict)
    threshold: dict = field(default_factory=dict)
    events: list[int] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    event_count: int = 0
    lot_count: int = 0
    party_id: int | None = None
    ratio: float = 1.0
    explanation: list[dict] = field(default_factory=list)
    summary: str = ""

    def __post_init__(self) -> None:
        if self.subject_kind not in SUBJECT_KINDS:
            raise ValueError(f"unknown subject kind {self.subject_kind!r}")
        self.season = str(self.season)
        self.ratio = max(1.0, float(self.ratio or 1.0))
        self.event_count = max(self.event_count, len(self.events))
        self.lot_count = max(self.lot_count, len(self.lots))
        self.events = sorted(set(self.events))[:EVIDENCE_CAP]
        self.lots = sorted(set(self.lots))[:EVIDENCE_CAP]

    @property
    def subject_key(self) -> str:
        return subject_key(self.subject_kind, self.subject_id)

    @property
    def key(self) -> tuple[str, str, str]:
        """(rule, subject_key, season): what a case is unique on."""
        return (self.rule, self.subject_key, self.season)

    def as_dict(self) -> dict:
        return asdict(self)

    def comparable(self) -> tuple:
        """What two runs over the same data must agree on (full scan vs incremental)."""
        return (
            self.key,
            self.party_id,
            round(self.ratio, 6),
            tuple(sorted(self.events)),
            tuple(sorted(self.lots)),
            tuple(sorted((k, str(v)) for k, v in self.figures.items())),
        )
