"""The declared access of every API route: who may call it (the endpoint × role matrix,
test_access_matrix.py, calls each route as every caller of access_matrix.CALLERS and compares).

One row per (METHOD, path) as the OpenAPI schema writes it. A Row names the callers that get
something other than `rest` (default "allow": past authentication and access; see
access_matrix.OUTCOMES): `allow=`, `forbid=` (403), `missing=` (404, out of scope), with
`coop.*` / `ppo.*` for every role of those two organisations; `anonymous=` (default "401");
`body=` the JSON a POST/PUT/PATCH sends (with the required fields, so that the call reaches
the access rules; without one a schema 422 counts as "allow" for everyone signed in).

A new route: add its row here (the test's failure message gives a starting row); to see what a
route answers each caller, run the test with AGRITRACE_ACCESS_RECORD=/tmp/rows.txt. The objects
the path parameters name (an issued area of coop, its households, plots and application, a
packing house of packing, coop's token) are made in test_access_matrix.matrix; any other id is
one that does not exist, so its row says who gets 404 and who gets 403 first."""

from agritrace.tests.access_matrix import Row

D, E = "2026-01-01", "2026-12-31"
#: The province authorities (every role) and the communes: who reads misuse cases.
AUTHORITY_AND_COMMUNES = (
    "ministry province ppo commune commune_b other_ppo ppo.manager ppo.officer ppo.staff ppo.viewer"
)

#: Who reads the periodic reports (the ministry and the province authorities, every role) and
#: who changes the plan's figures (the province authorities, not the read-only viewer).
REPORT_READERS = "ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff ppo.viewer"
REPORT_EDITORS = "province ppo other_ppo ppo.manager ppo.officer ppo.staff"
#: Who uses the EUDR export: the exporters (their own lots) and the authorities.
EUDR_USERS = "ministry province ppo exporter other_ppo ppo.manager ppo.officer ppo.staff ppo.viewer"

#: Who runs the national exchange (exchange/access.py): the managers of the authorities.
EXCHANGE_ADMINS = "ppo.manager"

#: Who registers processing facilities (the province authorities, not the viewer) and
#: production units (those and the cooperatives).
PRODUCT_REGISTRARS = "province ppo other_ppo ppo.manager ppo.officer ppo.staff"
UNIT_REGISTRARS = (
    PRODUCT_REGISTRARS + " coop coop_b other_coop coop.manager coop.inspector coop.staff"
)

ROWS: dict[tuple[str, str], Row] = {
    ("DELETE", "/api/certificates/{certificate_id}"): Row(rest="404"),
    # no route at the API's root
    ("GET", "/api/"): Row(rest="404", anonymous="404"),
    ("GET", "/api/accounts/me"): Row(),
    ("GET", "/api/accounts/tokens"): Row(),
    ("GET", "/api/applications"): Row(),
    ("GET", "/api/applications/{app_id}"): Row(
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop"
    ),
    ("GET", "/api/areas"): Row(),
    ("GET", "/api/areas/{area_id}"): Row(
        missing="commune_b coop_b household packing exporter other_ppo other_coop"
    ),
    ("GET", "/api/areas/{area_id}/may-use"): Row(),
    ("GET", "/api/areas/{area_id}/plots.geojson"): Row(
        missing="commune_b coop_b household packing exporter other_ppo other_coop"
    ),
    ("GET", "/api/diary/areas/{area_id}/forecast"): Row(
        forbid="lab", missing="commune_b coop_b household packing exporter other_ppo other_coop"
    ),
    ("GET", "/api/diary/areas/{area_id}/harvest-window"): Row(
        forbid="packing exporter lab", missing="commune_b coop_b household other_ppo other_coop"
    ),
    ("GET", "/api/diary/catalogue/export.xlsx"): Row(),
    ("GET", "/api/diary/catalogue/fertilisers"): Row(),
    ("GET", "/api/diary/catalogue/ingredients"): Row(),
    ("GET", "/api/diary/catalogue/pesticides"): Row(),
    ("GET", "/api/diary/catalogue/pesticides/{pesticide_id}"): Row(),
    ("GET", "/api/diary/entries"): Row(forbid="packing exporter lab"),
    ("GET", "/api/diary/entries/{entry_id}"): Row(rest="404"),
    ("GET", "/api/diary/entries/{entry_id}/revisions"): Row(rest="404"),
    ("GET", "/api/diary/flags"): Row(forbid="packing exporter lab"),
    ("GET", "/api/diary/plots/{plot_id}/harvest-window"): Row(
        forbid="packing exporter lab", missing="commune_b coop_b household other_ppo other_coop"
    ),
    ("GET", "/api/docs"): Row(anonymous="allow", only="anonymous coop"),
    ("GET", "/api/households"): Row(),
    ("GET", "/api/households/{household_id}"): Row(
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop"
    ),
    ("GET", "/api/openapi.json"): Row(anonymous="allow", only="anonymous coop"),
    ("GET", "/api/packing-houses"): Row(),
    ("GET", "/api/packing-houses/{house_id}"): Row(
        allow="ministry province ppo commune packing ppo.manager ppo.officer ppo.staff ppo.viewer",
        rest="404",
    ),
    ("GET", "/api/plots/{plot_id}"): Row(
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop"
    ),
    ("GET", "/api/public/catalogue"): Row(anonymous="allow"),
    ("GET", "/api/public/codes"): Row(anonymous="allow"),
    ("GET", "/api/public/codes.csv"): Row(anonymous="allow"),
    ("GET", "/api/public/codes.xlsx"): Row(anonymous="allow"),
    ("GET", "/api/stamps/batches"): Row(),
    ("GET", "/api/stamps/batches/{batch_id}"): Row(rest="404"),
    ("GET", "/api/stamps/batches/{batch_id}/serials.csv"): Row(rest="404"),
    ("GET", "/api/stamps/codes/{code}"): Row(anonymous="allow"),
    ("GET", "/api/stamps/lookup"): Row(anonymous="allow"),
    ("GET", "/api/supervision/cases"): Row(),
    ("GET", "/api/supervision/cases/{case_id}"): Row(rest="404"),
    ("GET", "/api/supervision/checklists/{kind}"): Row(),
    ("GET", "/api/supervision/limits"): Row(),
    ("GET", "/api/supervision/notices"): Row(),
    ("GET", "/api/supervision/notices/{notice_id}"): Row(rest="404"),
    ("GET", "/api/supervision/observations"): Row(),
    ("GET", "/api/supervision/pests"): Row(),
    ("GET", "/api/supervision/plans"): Row(),
    ("GET", "/api/supervision/plans/{plan_id}"): Row(rest="404"),
    ("GET", "/api/supervision/plans/{plan_id}/visits"): Row(rest="404"),
    ("GET", "/api/supervision/quarantine-pests"): Row(),
    ("GET", "/api/supervision/residue-plans"): Row(),
    ("GET", "/api/supervision/residue-plans/{plan_id}"): Row(rest="404"),
    ("GET", "/api/supervision/risk/areas/{area_id}"): Row(
        forbid="coop lab coop.manager coop.inspector coop.staff coop.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
    ),
    ("GET", "/api/supervision/risk/packing-houses/{ph_id}"): Row(
        allow="ministry province ppo commune ppo.manager ppo.officer ppo.staff ppo.viewer",
        forbid="packing",
        rest="404",
    ),
    ("GET", "/api/supervision/samples"): Row(),
    ("GET", "/api/supervision/samples/{sample_id}"): Row(rest="404"),
    ("GET", "/api/supervision/visits"): Row(),
    ("GET", "/api/supervision/visits/{visit_id}"): Row(rest="404"),
    ("GET", "/api/trace/areas/{area_id}/trace"): Row(
        forbid="household lab", missing="commune_b coop_b packing exporter other_ppo other_coop"
    ),
    ("GET", "/api/trace/capture/{capture_id}"): Row(rest="404"),
    ("GET", "/api/trace/events"): Row(),
    ("GET", "/api/trace/events/{event_id}"): Row(rest="404"),
    ("GET", "/api/trace/flags"): Row(),
    ("GET", "/api/trace/kde"): Row(forbid="household lab"),
    ("GET", "/api/trace/lot-status"): Row(),
    ("GET", "/api/trace/lots/{uri}/kde"): Row(forbid="household lab", rest="404"),
    ("GET", "/api/trace/lots/{uri}/trace"): Row(forbid="household lab", rest="404"),
    ("GET", "/api/trace/pack-out-factors"): Row(),
    ("GET", "/api/trace/recalls"): Row(),
    ("GET", "/api/trace/recalls/{recall_id}"): Row(rest="404"),
    ("GET", "/api/trace/samples/{sample_id}/trace"): Row(forbid="household lab", rest="404"),
    # no route at the API's root
    ("GET", "/epcis/"): Row(rest="404", anonymous="404"),
    ("GET", "/epcis/capture/{capture_id}"): Row(rest="404"),
    ("GET", "/epcis/docs"): Row(anonymous="allow", only="anonymous coop"),
    ("GET", "/epcis/events"): Row(),
    ("GET", "/epcis/events/{event_id}"): Row(rest="404"),
    ("GET", "/epcis/openapi.json"): Row(anonymous="allow", only="anonymous coop"),
    # one's own preferences: everyone signed in
    ("PATCH", "/api/accounts/me"): Row(body={"language": "en"}),
    ("PATCH", "/api/areas/{area_id}"): Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
    ),
    ("PATCH", "/api/certificates/{certificate_id}"): Row(rest="404"),
    ("PATCH", "/api/diary/entries/{entry_id}"): Row(rest="404"),
    ("PATCH", "/api/households/{household_id}"): Row(
        forbid="ministry commune coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
    ),
    ("PATCH", "/api/plots/{plot_id}"): Row(
        forbid="ministry commune coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
    ),
    # a token cannot issue tokens: a signed-in session can
    ("POST", "/api/accounts/tokens"): Row(rest="401", body={"name": "x"}),
    ("POST", "/api/accounts/tokens/{token_id}/revoke"): Row(
        allow="coop coop.manager coop.inspector coop.staff coop.viewer", rest="404"
    ),
    ("POST", "/api/applications/{app_id}/actions"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
        rest="403",
        body={"action": "start_appraisal"},
    ),
    ("POST", "/api/areas"): Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer",
        body={"name": "x", "crop": 1, "commune": 1, "declared_area_ha": "1"},
    ),
    ("POST", "/api/areas/{area_id}/authorisations"): Row(
        allow="coop coop.manager coop.inspector coop.staff",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        rest="403",
        body={"grantee": 1, "market": 1, "valid_from": D, "valid_to": E},
    ),
    ("POST", "/api/areas/{area_id}/certificates"): Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        body={"kind": "x", "number": "1", "valid_from": D, "valid_to": E},
    ),
    ("POST", "/api/areas/{area_id}/market-approvals"): Row(
        allow="ministry province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        rest="403",
        body={"market": 1, "move": "submit"},
    ),
    ("POST", "/api/areas/{area_id}/reinstate"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        rest="403",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/areas/{area_id}/revoke"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        rest="403",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/areas/{area_id}/suspend"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        rest="403",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/authorisations/{auth_id}/withdraw"): Row(rest="404", body={"reason": "matrix"}),
    ("POST", "/api/diary/catalogue/import"): Row(),
    ("POST", "/api/diary/entries"): Row(
        allow="coop coop_b household other_coop coop.manager coop.inspector coop.staff",
        rest="403",
        body={"kind": "other", "date": D},
    ),
    ("POST", "/api/diary/entries/import"): Row(),
    ("POST", "/api/diary/flags/{flag_id}/resolve"): Row(rest="404", body={"resolution": "x"}),
    ("POST", "/api/households"): Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer",
        body={"name": "x", "commune": 1},
    ),
    ("POST", "/api/households/{household_id}/organisation"): Row(
        forbid="ministry commune coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter lab other_ppo other_coop",
    ),
    ("POST", "/api/packing-houses"): Row(
        forbid="ministry commune commune_b household lab coop.viewer ppo.viewer",
        body={"name": "x", "address": "x", "commune": 1, "capacity_t_per_day": "1"},
    ),
    ("POST", "/api/packing-houses/{house_id}/reinstate"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        forbid="ministry commune packing ppo.viewer",
        rest="404",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/packing-houses/{house_id}/revoke"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        forbid="ministry commune packing ppo.viewer",
        rest="404",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/packing-houses/{house_id}/supply-contracts"): Row(
        allow="province ppo packing ppo.manager ppo.officer ppo.staff",
        forbid="ministry commune ppo.viewer",
        rest="404",
        body={"valid_from": D, "valid_to": E},
    ),
    ("POST", "/api/packing-houses/{house_id}/suspend"): Row(
        allow="province ppo ppo.manager ppo.officer ppo.staff",
        forbid="ministry commune packing ppo.viewer",
        rest="404",
        body={"reason": "matrix"},
    ),
    ("POST", "/api/plots"): Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer",
        body={
            "household": 999999,
            "label": "x",
            "geometry": {"type": "Point", "coordinates": [0, 0]},
        },
    ),
    ("POST", "/api/plots/import"): Row(),
    ("POST", "/api/stamps/batches"): Row(
        missing="packing exporter",
        rest="403",
        body={"lot": "urn:agritrace:lot:VN-DLOR-9999:H-1", "count": 1},
    ),
    ("POST", "/api/stamps/void"): Row(
        allow="packing exporter", rest="403", body={"serials": [], "reason": "x"}
    ),
    ("POST", "/api/supervision/cases/{case_id}/close"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"resolution": "x"},
    ),
    ("POST", "/api/supervision/corrective-actions/{action_id}/done"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff", rest="403"
    ),
    ("POST", "/api/supervision/notices"): Row(
        body={"market": 1, "received_on": D, "codes": [], "hazard": "x"}
    ),
    ("POST", "/api/supervision/notices/{notice_id}/decide"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"decision": "x", "reason": "x"},
    ),
    ("POST", "/api/supervision/notices/{notice_id}/investigate"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff", rest="403"
    ),
    ("POST", "/api/supervision/notices/{notice_id}/reply"): Row(
        missing="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"reply_text": "x"},
    ),
    ("POST", "/api/supervision/observations"): Row(
        body={"area": 999999, "observed_on": D, "pest": 1}
    ),
    ("POST", "/api/supervision/plans"): Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"province": 1, "season": "2026"},
    ),
    ("POST", "/api/supervision/residue-plans"): Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"province": 1, "year": 2026, "target_samples": 1},
    ),
    ("POST", "/api/supervision/results/import"): Row(),
    ("POST", "/api/supervision/samples"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"area": 999999, "laboratory": 1, "analyses": []},
    ),
    ("POST", "/api/supervision/samples/{sample_id}/results"): Row(
        body={"ingredient": 1, "value_mg_kg": "0.1", "analysed_on": D}
    ),
    ("POST", "/api/supervision/samples/{sample_id}/take"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"sampled_on": D},
    ),
    ("POST", "/api/supervision/visits"): Row(body={"due_date": D}),
    ("POST", "/api/supervision/visits/{visit_id}/assign"): Row(rest="404", body={"inspector": 1}),
    ("POST", "/api/supervision/visits/{visit_id}/decide"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"accept": True},
    ),
    ("POST", "/api/supervision/visits/{visit_id}/photos"): Row(),
    ("POST", "/api/supervision/visits/{visit_id}/record"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"items": {}},
    ),
    ("POST", "/api/supply-contracts/{contract_id}/end"): Row(rest="404"),
    ("POST", "/api/trace/capture"): Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer"
    ),
    ("POST", "/api/trace/import"): Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer"
    ),
    ("POST", "/api/trace/recalls"): Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff", rest="403"
    ),
    ("POST", "/api/trace/recalls/{recall_id}/close"): Row(
        missing="province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"outcome": "lifted"},
    ),
    ("POST", "/epcis/capture"): Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer"
    ),
    ("PUT", "/api/areas/{area_id}/households"): Row(
        forbid="ministry commune lab coop.viewer ppo.viewer",
        missing="commune_b coop_b household packing exporter other_ppo other_coop",
        body={"household_ids": []},
    ),
    ("PUT", "/api/diary/areas/{area_id}/forecast/plan"): Row(
        body={"province": 1, "season": "2026"}
    ),
    ("PUT", "/api/trace/pack-out-factors/{crop_code}"): Row(
        allow="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff",
        rest="403",
        body={"factor": "1.0", "source": "matrix"},
    ),
    # Routes of the misuse app, organisations, places, authorisations, calendars, the code
    # import and capture jobs (session of 2026-12-03): writes without a body here reach the
    # schema only; their role rules are tested in the apps' own API tests.
    ("DELETE", "/api/supervision/season-calendars/{calendar_id}"): Row(rest="404"),
    ("GET", "/api/accounts/organisations"): Row(),
    ("GET", "/api/accounts/organisations/import/template.xlsx"): Row(),
    ("GET", "/api/accounts/organisations/{key}"): Row(rest="404"),
    ("GET", "/api/areas/export.{fmt}"): Row(rest="404"),
    ("GET", "/api/authorisations"): Row(),
    ("GET", "/api/authorisations/import/template"): Row(),
    ("GET", "/api/misuse/cases"): Row(
        allow=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("GET", "/api/misuse/cases.xlsx"): Row(
        allow=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("GET", "/api/misuse/cases/{case_id}"): Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("GET", "/api/misuse/rules"): Row(
        allow=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("GET", "/api/packing-houses/{house_id}/market-approvals"): Row(
        allow="ministry province ppo commune packing ppo.manager ppo.officer ppo.staff ppo.viewer",
        rest="404",
    ),
    ("GET", "/api/places/abbreviations"): Row(anonymous="allow"),
    ("GET", "/api/places/communes"): Row(anonymous="allow"),
    ("GET", "/api/places/provinces"): Row(anonymous="allow"),
    ("GET", "/api/registry/code-imports/template.xlsx"): Row(
        allow="province ppo other_ppo ppo.manager ppo.officer ppo.staff", rest="403"
    ),
    ("GET", "/api/supervision/season-calendars"): Row(),
    ("GET", "/api/supervision/season-calendars/import/template"): Row(),
    ("GET", "/api/supervision/season-calendars/in-season"): Row(),
    ("GET", "/api/supply-contracts"): Row(),
    ("GET", "/api/trace/capture"): Row(forbid="commune commune_b household lab coop.viewer"),
    ("GET", "/api/trace/capture-jobs"): Row(forbid="commune commune_b household lab coop.viewer"),
    ("GET", "/api/trace/capture-jobs/{capture_id}"): Row(
        forbid="commune commune_b household lab coop.viewer", rest="404"
    ),
    ("GET", "/api/trace/refusals"): Row(forbid="commune commune_b household lab coop.viewer"),
    ("GET", "/epcis/capture"): Row(forbid="commune commune_b household lab coop.viewer"),
    ("PATCH", "/api/supervision/season-calendars/{calendar_id}"): Row(rest="404"),
    ("POST", "/api/accounts/organisations"): Row(),
    ("POST", "/api/accounts/organisations/import"): Row(),
    ("POST", "/api/accounts/organisations/{key}/invitations"): Row(),
    ("POST", "/api/areas/import"): Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer"
    ),
    ("POST", "/api/areas/import.xlsx"): Row(
        forbid="ministry commune commune_b household packing exporter lab coop.viewer ppo.viewer"
    ),
    ("POST", "/api/authorisations"): Row(),
    ("POST", "/api/authorisations/import"): Row(),
    ("POST", "/api/misuse/cases/{case_id}/act"): Row(),
    ("POST", "/api/misuse/cases/{case_id}/confirm"): Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("POST", "/api/misuse/cases/{case_id}/dismiss"): Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("POST", "/api/misuse/cases/{case_id}/notes"): Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("POST", "/api/misuse/cases/{case_id}/review"): Row(
        missing=AUTHORITY_AND_COMMUNES,
        rest="403",
    ),
    ("POST", "/api/packing-houses/{house_id}/market-approvals"): Row(),
    ("POST", "/api/places/abbreviations"): Row(),
    ("POST", "/api/registry/code-imports"): Row(),
    ("POST", "/api/supervision/season-calendars"): Row(),
    ("POST", "/api/supervision/season-calendars/import"): Row(),
    ("PUT", "/api/misuse/rules/{code}"): Row(
        missing="ministry province ppo other_ppo ppo.manager ppo.officer ppo.staff", rest="403"
    ),
    ("PUT", "/api/places/abbreviations/{province}"): Row(),
    # Routes of the reports app (issue 12): the province's authority edits, the ministry and
    # the communes read their scope (no periodic report for a commune), firms see nothing.
    ("DELETE", "/api/reports/targets/{target_id}"): Row(missing=REPORT_EDITORS, rest="403"),
    ("GET", "/api/reports/achieved"): Row(allow=AUTHORITY_AND_COMMUNES, rest="403"),
    ("GET", "/api/reports/achieved/{target_id}"): Row(missing=AUTHORITY_AND_COMMUNES, rest="403"),
    ("GET", "/api/reports/periodic"): Row(allow=REPORT_READERS, rest="403"),
    ("GET", "/api/reports/periodic/deadlines"): Row(allow=REPORT_READERS, rest="403"),
    ("GET", "/api/reports/periodic/{report_id}"): Row(missing=REPORT_READERS, rest="403"),
    ("GET", "/api/reports/periodic/{report_id}/file.{fmt}"): Row(
        missing=REPORT_READERS, rest="403"
    ),
    ("GET", "/api/reports/targets"): Row(allow=AUTHORITY_AND_COMMUNES, rest="403"),
    ("GET", "/api/reports/targets/import/template"): Row(allow=REPORT_EDITORS, rest="403"),
    ("GET", "/api/reports/training"): Row(allow=AUTHORITY_AND_COMMUNES, rest="403"),
    ("GET", "/api/reports/training/plan"): Row(allow=AUTHORITY_AND_COMMUNES, rest="403"),
    ("POST", "/api/reports/periodic"): Row(
        allow=REPORT_EDITORS, rest="403", body={"kind": "half_year", "year": 2026}
    ),
    ("POST", "/api/reports/periodic/{report_id}/submit"): Row(missing=REPORT_EDITORS, rest="403"),
    ("POST", "/api/reports/targets"): Row(
        allow=REPORT_EDITORS,
        rest="403",
        body={"metric": "area_codes", "year": 2026, "value": "3", "source": "matrix"},
    ),
    ("POST", "/api/reports/targets/import"): Row(),
    ("POST", "/api/reports/training"): Row(
        allow=REPORT_EDITORS,
        rest="403",
        body={
            "topic": "gap",
            "title": "GAP",
            "place": "Hall",
            "planned_on": D,
            "trainer": "Lan",
        },  # fmt: skip
    ),
    ("POST", "/api/reports/training/{class_id}/held"): Row(
        missing=REPORT_EDITORS, rest="403", body={"held_on": D}
    ),
    # Routes of the EUDR app (issue 13): exporters (their own lots) and the authorities (the
    # province's lots, the ministry's all) export; the province's authority imports forest
    # layers; other organisations get 403.
    ("GET", "/api/eudr/forest-baselines"): Row(allow=EUDR_USERS, rest="403"),
    ("GET", "/api/eudr/lots"): Row(allow=EUDR_USERS, rest="403"),
    ("GET", "/api/eudr/lots/{lot}/geojson"): Row(missing=EUDR_USERS, rest="403"),
    ("GET", "/api/eudr/lots/{lot}/statement"): Row(missing=EUDR_USERS, rest="403"),
    ("GET", "/api/eudr/lots/{lot}/statement.pdf"): Row(missing=EUDR_USERS, rest="403"),
    ("POST", "/api/eudr/forest-baselines"): Row(
        allow=REPORT_EDITORS,
        rest="403",
        body={
            "name": "matrix forest",
            "source": "matrix",
            "source_date": "2020-12-31",
            "geojson": {
                "type": "Polygon",
                "coordinates": [[[108.0, 12.7], [108.01, 12.7], [108.01, 12.71], [108.0, 12.7]]],
            },
        },
    ),
    # Routes of the exchange app (issue 13, national sync): the administrators only (a
    # superuser, a manager of the ministry, a provincial department or a plant-protection
    # office); every other role, the read-only viewer too, is refused.
    ("GET", "/api/exchange/connectors"): Row(allow=EXCHANGE_ADMINS, rest="403"),
    ("GET", "/api/exchange/messages"): Row(allow=EXCHANGE_ADMINS, rest="403"),
    ("POST", "/api/exchange/connectors"): Row(
        allow=EXCHANGE_ADMINS,
        rest="403",
        body={"name": "matrix", "kind": "webhook", "url": "http://x.test/h", "secret": "s"},
    ),
    ("POST", "/api/exchange/connectors/{connector_id}/resend"): Row(
        missing=EXCHANGE_ADMINS, rest="403"
    ),
    ("PUT", "/api/exchange/connectors/{connector_id}"): Row(missing=EXCHANGE_ADMINS, rest="403"),
    # products (issue 12): the catalogue is public; facilities and units are scoped like
    # packing houses (products/access.py); registering and processing need their permission.
    ("GET", "/api/products/catalogue"): Row(anonymous="allow"),
    ("GET", "/api/products/facilities"): Row(),
    ("GET", "/api/products/facilities/{facility_id}"): Row(rest="404"),
    ("GET", "/api/products/lots/completeness"): Row(),
    ("GET", "/api/products/units"): Row(),
    ("POST", "/api/products/facilities"): Row(
        allow=PRODUCT_REGISTRARS,
        rest="403",
        body={"name": "X", "address": "Y", "capacity_t_per_day": "1"},
    ),
    ("POST", "/api/products/processing"): Row(
        forbid="commune commune_b household lab coop.viewer ppo.viewer",
        rest="404",
        body={
            "facility": 999999,
            "product": "dried-tea",
            "inputs": [{"lot": "A:1", "quantity": "1"}],
            "output_quantity": "1",
        },
    ),
    ("POST", "/api/products/relations/ratio"): Row(
        allow="ministry " + PRODUCT_REGISTRARS,
        rest="403",
        body={"input": "tea", "output": "no-such", "ratio": "0.2", "source": "test"},
    ),
    ("POST", "/api/products/units"): Row(
        allow=UNIT_REGISTRARS,
        rest="403",
        body={
            "kind": "fishpond",
            "identifier": "P-1",
            "name": "P",
            "product": "farmed-fish",
            "geometry": {"type": "Point", "coordinates": [108.05, 12.67]},
        },  # fmt: skip
    ),
    ("POST", "/api/products/units/{unit_id}/harvests"): Row(rest="404", body={"quantity": "1"}),
}
