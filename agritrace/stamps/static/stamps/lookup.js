/* Progressive extras of the public stamp page; everything works without them.
 * - the map of the planting area (a coarse box only, never the plots), with Leaflet;
 * - the "share my approximate place" button: the browser asks the person, the place is
 *   rounded here to 0.1 degree (about 10 km) before it leaves the phone. */
(function () {
  'use strict';

  var mapEl = document.getElementById('area-map');
  if (mapEl && window.L) {
    var b = mapEl.getAttribute('data-bbox').split(',').map(Number);
    var bounds = [[b[1], b[0]], [b[3], b[2]]];
    mapEl.hidden = false;
    var mapText = document.getElementById('area-map-text');
    if (mapText) { mapText.hidden = true; }
    var map = L.map(mapEl, { scrollWheelZoom: false, attributionControl: true });
    var tiles = document.body.getAttribute('data-tile-url');
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 17, attribution: document.body.getAttribute('data-tile-attribution') || '' }).addTo(map);
    }
    L.rectangle(bounds, { color: '#166534', weight: 2, fillOpacity: 0.15 }).addTo(map);
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
  }

  var form = document.getElementById('share-place');
  var button = form && form.querySelector('[data-share-place]');
  if (button && navigator.geolocation) {
    button.hidden = false;
    form.querySelector('[data-share-help]').hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = (Math.round(pos.coords.latitude * 10) / 10).toFixed(1);
        form.elements.lon.value = (Math.round(pos.coords.longitude * 10) / 10).toFixed(1);
        form.submit();
      }, function () { button.disabled = false; }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  }
}());
