"""The shipped rules' titles as msgids, so that the catalogue carries their translations
(`Rule.label` translates a title at display time; the authority may rename a rule, and a
title with no translation shows as written). test_rules checks this list against
data/rules.json."""

from django.utils.translation import gettext_noop

TITLES = [
    gettext_noop("Area code carries more than its area can grow"),
    gettext_noop("Plot carries more than it can grow"),
    gettext_noop("Packing house packs more than its capacity"),
    gettext_noop("Packing house packs produce of areas it has no supply contract with"),
    gettext_noop("Code used by a firm with no authorisation"),
    gettext_noop("Lot shipped to a market the code is not approved for"),
    gettext_noop("Code used while suspended, revoked or not issued"),
    gettext_noop("One code at packing houses too far apart on the same day"),
    gettext_noop("Harvest outside the crop's season calendar"),
    gettext_noop("Harvest with no farm diary in the season"),
    gettext_noop("Harvest before the last spray's pre-harvest interval had passed"),
    gettext_noop("Exporter suddenly using many codes"),
    gettext_noop("Area volume jumps against its history and its peers"),
    gettext_noop("Plot registered in two codes"),
    gettext_noop("Plot overlaps another household's plot"),
    gettext_noop("Copied stamp"),
]
