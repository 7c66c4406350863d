"""The drawing tools' words come from translatable strings (issue 17 item 10): the page
carries them as JSON in Leaflet.draw's L.drawLocal shape, which map.js merges in."""

import json

from django.template.loader import render_to_string
from django.utils import translation


def test_the_draw_strings_are_valid_json_in_leaflet_draws_shape():
    with translation.override("en"):
        html = render_to_string("includes/map_assets.html", {"draw": True})
    body = html.split('<script type="application/json" id="draw-local">', 1)[1]
    words = json.loads(body.split("</script>", 1)[0])
    assert words["draw"]["toolbar"]["buttons"]["polygon"] == "Draw the plot"
    assert words["draw"]["handlers"]["polygon"]["tooltip"]["end"]
    assert words["edit"]["toolbar"]["actions"]["save"]["text"] == "Save"
    assert set(words["edit"]["toolbar"]["buttons"]) == {
        "edit",
        "editDisabled",
        "remove",
        "removeDisabled",
    }


def test_pages_without_drawing_carry_no_draw_strings():
    assert "draw-local" not in render_to_string("includes/map_assets.html", {"draw": False})
