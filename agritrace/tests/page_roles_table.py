"""The web pages × roles (test_access_matrix.py, test_page_answers_each_caller_as_the_table_says):
what every caller of access_matrix.CALLERS gets from a GET of each page, signed in with a
session: "allow" (the page, or a redirect within the site), "login" (sent to log in), "403" (the
role may not), "404" (out of the caller's scope, or no such object), "405" (the page takes only
a POST), "400" (the stamp page's unsigned sample). The ids of areas, applications, packing
houses, households and plots name the matrix's issued area and its objects (its
_PAGE_OBJECTS); other ids do not exist, so their row says who gets 404 and who 403 first. What
a POST-only page does with a POST is in page_table.py (anonymous) and in each app's tests.
A new page: add its row (AGRITRACE_ACCESS_RECORD=FILE pytest agritrace/tests/test_access_matrix.py
-k page writes the observed rows to FILE)."""

from agritrace.tests.access_matrix import Row
from agritrace.tests.access_table import (
    AUTHORITY_AND_COMMUNES,
    EUDR_USERS,
    EXCHANGE_ADMINS,
    REPORT_READERS,
)

PAGE_ROWS: dict[str, Row] = {
    "": Row(anonymous="allow"),
    "^(?P<path>(?:01|gtin|p)/.*)$": Row(rest="400", anonymous="400"),
    "accounts/invitations/<str:uidb64>/<str:token>/": Row(rest="404", anonymous="404"),
    "accounts/organisations/": Row(anonymous="login"),
    "accounts/organisations/<str:key>/": Row(rest="404", anonymous="login"),
    "accounts/organisations/import/": Row(
        allow="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "accounts/organisations/import/template.xlsx": Row(anonymous="login"),
    "accounts/organisations/new/": Row(
        allow="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "accounts/profile/": Row(anonymous="login"),
    "applications/": Row(anonymous="login"),
    "applications/<int:pk>/": Row(
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        anonymous="login",
    ),
    "applications/<int:pk>/act/": Row(rest="405", anonymous="405"),
    "applications/<int:pk>/documents/": Row(rest="405", anonymous="405"),
    "applications/<int:pk>/documents/<int:doc>/": Row(rest="404", anonymous="login"),
    "applications/<int:pk>/inspection/": Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        rest="403",
        anonymous="login",
    ),
    "areas/": Row(anonymous="login"),
    "areas/<int:pk>/": Row(
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "areas/<int:pk>/authorise/": Row(rest="405", anonymous="405"),
    "areas/<int:pk>/code/": Row(rest="405", anonymous="405"),
    "areas/<int:pk>/edit/": Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "areas/<int:pk>/households/": Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "areas/<int:pk>/markets/": Row(rest="405", anonymous="405"),
    "areas/<int:pk>/plots/new/": Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "areas/new/": Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer",
        anonymous="login",
    ),
    "authorisations/": Row(anonymous="login"),
    "authorisations/import/": Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "authorisations/import/template.xlsx": Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "codes/": Row(anonymous="allow"),
    "codes/export.<str:fmt>": Row(anonymous="allow"),
    "codes/import/": Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "codes/import/<int:pk>/apply/": Row(rest="405", anonymous="login"),
    "codes/import/template.xlsx": Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "dashboard/": Row(anonymous="login"),
    "diary/": Row(anonymous="login"),
    "diary/areas/<int:pk>/": Row(
        forbid="packing exporter lab",
        missing="commune_b coop_b household other_ppo other_coop",
        anonymous="login",
    ),
    "diary/areas/<int:pk>/forecast/": Row(
        forbid="lab",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "diary/entries/<int:pk>/": Row(rest="404", anonymous="login"),
    "diary/entries/<int:pk>/edit/": Row(rest="404", anonymous="login"),
    "diary/flags/": Row(forbid="packing exporter lab", anonymous="login"),
    "diary/flags/<int:pk>/resolve/": Row(rest="405", anonymous="login"),
    "diary/import/": Row(
        allow="coop coop_b other_coop coop.manager coop.inspector coop.staff",
        rest="403",
        anonymous="login",
    ),
    "diary/inputs/": Row(anonymous="login"),
    "diary/inputs/export.xlsx": Row(anonymous="login"),
    "diary/inputs/import/": Row(
        allow="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "diary/inputs/pesticides/<int:pk>/": Row(rest="404", anonymous="login"),
    "diary/inputs/pesticides/<int:pk>/edit/": Row(
        missing="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "diary/new/": Row(
        allow="coop coop_b household other_coop coop.manager coop.inspector coop.staff",
        rest="403",
        anonymous="login",
    ),
    "diary/plots/<int:pk>/": Row(
        forbid="packing exporter lab",
        missing="commune_b coop_b household other_ppo other_coop",
        anonymous="login",
    ),
    "healthz": Row(anonymous="allow"),
    "households/": Row(forbid="packing exporter lab", anonymous="login"),
    "households/<int:pk>/": Row(
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        anonymous="login",
    ),
    "households/<int:pk>/edit/": Row(
        forbid="ministry commune coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        anonymous="login",
    ),
    "households/new/": Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer",
        anonymous="login",
    ),
    "i18n/setlang/": Row(rest="405", anonymous="405"),
    "inbox/": Row(anonymous="login"),
    "inbox/<int:pk>/read/": Row(rest="405", anonymous="login"),
    "login/": Row(anonymous="allow"),
    "logout/": Row(rest="405", anonymous="405"),
    "lookup/": Row(anonymous="allow"),
    "map/areas.geojson": Row(anonymous="login"),
    "misuse/": Row(
        allow=AUTHORITY_AND_COMMUNES,
        rest="403",
        anonymous="login",
    ),
    "misuse/cases/<int:pk>/": Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
        anonymous="login",
    ),
    "misuse/rules/": Row(
        allow=AUTHORITY_AND_COMMUNES,
        rest="403",
        anonymous="login",
    ),
    "packing-houses/": Row(anonymous="login"),
    "eudr/": Row(allow=EUDR_USERS, rest="403", anonymous="login"),
    # products (issue 12): only a processor records a processing (none among the callers)
    "products/": Row(anonymous="login"),
    "products/facilities/": Row(anonymous="login"),
    "products/processing/": Row(rest="403", anonymous="login"),
    "reports/": Row(allow=AUTHORITY_AND_COMMUNES, rest="403", anonymous="login"),
    "reports/periodic/": Row(allow=REPORT_READERS, rest="403", anonymous="login"),
    "reports/periodic/<int:pk>/": Row(missing=REPORT_READERS, rest="403", anonymous="login"),
    "reports/periodic/<int:pk>/file.<str:fmt>": Row(
        missing=REPORT_READERS, rest="403", anonymous="login"
    ),
    "reports/targets/": Row(allow=AUTHORITY_AND_COMMUNES, rest="403", anonymous="login"),
    "reports/targets/<int:pk>/": Row(missing=AUTHORITY_AND_COMMUNES, rest="403", anonymous="login"),
    "reports/training/": Row(allow=AUTHORITY_AND_COMMUNES, rest="403", anonymous="login"),
    "reports/training/<int:pk>/": Row(
        missing=AUTHORITY_AND_COMMUNES, rest="403", anonymous="login"
    ),
    "packing-houses/<int:pk>/": Row(
        allow="ministry province ppo commune packing ppo.manager ppo.officer ppo.staff ppo.viewer",
        rest="404",
        anonymous="login",
    ),
    "packing-houses/<int:pk>/code/": Row(rest="405", anonymous="405"),
    "packing-houses/<int:pk>/markets/": Row(rest="405", anonymous="405"),
    "packing-houses/new/": Row(
        forbid="ministry commune commune_b household lab coop.viewer ppo.viewer", anonymous="login"
    ),
    "places/abbreviations/": Row(anonymous="allow"),
    "plots/<int:pk>/edit/": Row(
        forbid="ministry commune coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        anonymous="login",
    ),
    "stamps/": Row(anonymous="login"),
    "stamps/batches/<int:pk>/": Row(rest="404", anonymous="login"),
    "stamps/batches/<int:pk>/labels.pdf": Row(rest="404", anonymous="login"),
    "stamps/batches/<int:pk>/serials.csv": Row(rest="404", anonymous="login"),
    "stamps/batches/<int:pk>/void/": Row(rest="405", anonymous="login"),
    "supervision/": Row(anonymous="login"),
    "supervision/actions/<int:pk>/done/": Row(rest="405", anonymous="405"),
    "supervision/areas/<int:pk>/": Row(
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "supervision/areas/<int:pk>/observations/new/": Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "supervision/calendars/": Row(anonymous="login"),
    "supervision/calendars/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/calendars/template.xlsx": Row(
        allow="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "supervision/cases/": Row(anonymous="login"),
    "supervision/cases/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/notices/": Row(anonymous="login"),
    "supervision/notices/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/packing-houses/<int:pk>/": Row(
        allow="ministry province ppo commune packing ppo.manager ppo.officer ppo.staff ppo.viewer",
        rest="404",
        anonymous="login",
    ),
    "supervision/photos/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/plans/": Row(anonymous="login"),
    "supervision/plans/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/residues/": Row(anonymous="login"),
    "supervision/samples/": Row(anonymous="login"),
    "supervision/samples/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/samples/<int:pk>/take/": Row(rest="405", anonymous="405"),
    "supervision/samples/import/": Row(rest="405", anonymous="405"),
    "supervision/visits/<int:pk>/": Row(rest="404", anonymous="login"),
    "supervision/visits/<int:pk>/assign/": Row(rest="405", anonymous="405"),
    "supervision/visits/<int:pk>/decide/": Row(rest="405", anonymous="405"),
    "supervision/visits/<int:pk>/record/": Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        anonymous="login",
    ),
    "supervision/visits/new/<str:kind>/<int:pk>/": Row(rest="404", anonymous="login"),
    "tokens/": Row(anonymous="login"),
    "trace/": Row(anonymous="login"),
    "trace/areas/<int:pk>/": Row(
        forbid="household lab",
        missing="commune_b coop_b packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "trace/capture-jobs/": Row(
        forbid="commune commune_b household lab coop.viewer", anonymous="login"
    ),
    "trace/capture-jobs/<int:pk>/": Row(
        forbid="commune commune_b household lab coop.viewer", rest="404", anonymous="login"
    ),
    "trace/events/<int:pk>/": Row(rest="404", anonymous="login"),
    "trace/export/": Row(forbid="household lab", anonymous="login"),
    "trace/import/": Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer", anonymous="login"
    ),
    "trace/import/template.xlsx": Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer", anonymous="login"
    ),
    "trace/lot/": Row(forbid="household lab", rest="404", anonymous="login"),
    "trace/lot/kde/": Row(forbid="household lab", rest="404", anonymous="login"),
    "trace/plots/<int:pk>/": Row(
        forbid="household lab",
        missing="commune_b coop_b packing exporter other_ppo other_coop",
        anonymous="login",
    ),
    "trace/recalls/": Row(anonymous="login"),
    "trace/recalls/<int:pk>/": Row(rest="404", anonymous="login"),
    "trace/recalls/start/": Row(rest="405", anonymous="login"),
    "trace/record/": Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer", anonymous="login"
    ),
    "trace/record/<slug:kind>/": Row(rest="404", anonymous="login"),
    "trace/samples/<int:pk>/": Row(forbid="household lab", rest="404", anonymous="login"),
    "exchange/": Row(allow=EXCHANGE_ADMINS, rest="403", anonymous="login"),
    "exchange/connectors/<int:pk>/": Row(missing=EXCHANGE_ADMINS, rest="403", anonymous="login"),
}
