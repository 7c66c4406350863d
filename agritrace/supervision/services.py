"""The rules of supervision. The API, the web pages and the CLI call these; each write is one
transaction, checks the role (require) and the scope (visible/get_visible: out of scope is a
404), leaves an audit entry, and raises ValidationError({field: message}) for bad input.

- Monitoring: `generate_plan` gives every issued code at least one scheduled visit per crop
  season (An Giang decision 1753/QĐ-UBND: "at least once per crop season", seeds 003, 1.2),
  ordered by `risk`; `record_visit` records the checklist, and its outcome: passed, corrective
  actions with a deadline, or a proposal to suspend that an officer decides through the
  registry's lifecycle.
- Pest surveillance: `record_observation`, with the quarantine pests of the area's markets.
- Residue programme: `register_sample`, `enter_result` (the laboratory), `import_results`;
  a result above the limit of one of the area's target markets opens a `ResidueCase`, flags
  the area for that market and plans a follow-up sample.
- Importing countries' notices: `register_notice`, `investigate_notice`, `decide_notice`
  (warning, or suspension/revocation through the lifecycle), `reply_notice`.

The rules live in modules by concept (`common`, `risk`, `plans`, `visit_records`, `pests`,
`residues`, `notices`, `code_history`); this module gathers their public functions so that
callers name one place.
"""

from __future__ import annotations

from .code_history import (  # noqa: F401
    history,
    supervision_context,
)
from .common import (  # noqa: F401
    WATCHED,
    Holder,
    find_ingredient,
    normalise_ingredient,
)
from .notices import (  # noqa: F401
    decide_notice,
    investigate_notice,
    notice_holders,
    register_notice,
    reply_notice,
)
from .pests import (  # noqa: F401
    quarantine_pests,
    record_observation,
)
from .plans import (  # noqa: F401
    DAYS_BEFORE_HARVEST,
    HIGH_RISK,
    HIGH_RISK_DAYS,
    DaySheet,
    assign_inspector,
    calendars_for,
    day_sheet,
    generate_plan,
    plan_visits,
    province_inspectors,
    schedule_visit,
    season_targets,
    visits,
)
from .residues import (  # noqa: F401
    ABSURD_MG_KG,
    RESULT_COLUMNS,
    ImportSummary,
    active_flags,
    close_case,
    enter_result,
    import_results,
    is_flagged_for,
    limit_for,
    register_sample,
    residue_progress,
    set_residue_plan,
    take_sample,
)
from .risk import (  # noqa: F401
    NOTICE_WINDOW_DAYS,
    RISK_WEIGHTS,
    RISK_WINDOW_DAYS,
    _diary_flag_count,
    risk,
)
from .visit_records import (  # noqa: F401
    PHOTO_MAX_BYTES,
    PHOTOS_PER_VISIT,
    add_photo,
    complete_action,
    decide_suspension,
    photo_problem,
    photo_type,
    record_visit,
    template_for,
)
