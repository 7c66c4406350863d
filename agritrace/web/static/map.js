/* AgriTrace map helpers (no framework). Needs vendor/leaflet/leaflet.js loaded first, and
 * vendor/leaflet-draw/leaflet.draw.js for AgriMap.drawEditor.
 *
 *   var map = AgriMap.create('map');                         // centred on Viet Nam
 *   AgriMap.addGeoJSON(map, featureCollection, {styleByStatus: true});
 *   AgriMap.addAreaMap(map, featureCollection, {plotZoom: 14}); // areas far, plots near
 *   AgriMap.drawEditor(map, 'id_geometry', {areaOutputId: 'area-ha'});
 *
 * A base tile layer is added only when <body data-tile-url="..."> is non-empty; otherwise the
 * map has a plain light background and makes no network requests (closed network).
 * Geometry written to / read from textareas is GeoJSON (RFC 7946): [longitude, latitude].
 */
(function (global) {
  'use strict';

  var VIETNAM_CENTER = [16.0, 106.3];
  var VIETNAM_BOUNDS = [[8.2, 102.1], [23.4, 109.5]];
  var DEFAULT_ZOOM = 5;
  var MAX_ZOOM = 19;

  // Same values as the --status-* custom properties in app.css; used if CSS is not loaded.
  var STATUS_FALLBACK = {
    draft: '#5f6b66',
    submitted: '#1d4f91',
    under_appraisal: '#5b3fa6',
    returned: '#a35200',
    field_inspection: '#0b6a7a',
    approved: '#2f7d32',
    issued: '#14532d',
    rejected: '#b42318',
    suspended: '#b5470b',
    revoked: '#6e1a1a',
    overdue: '#b42318'
  };
  var DEFAULT_COLOUR = '#4a5a52';
  var EDIT_COLOUR = '#1f5f3a';

  function requireLeaflet() {
    if (typeof global.L === 'undefined') {
      throw new Error('AgriMap: Leaflet (vendor/leaflet/leaflet.js) must be loaded first');
    }
    return global.L;
  }

  function byId(elementOrId) {
    var el = typeof elementOrId === 'string' ? document.getElementById(elementOrId) : elementOrId;
    if (!el) {
      throw new Error('AgriMap: no element with id "' + elementOrId + '"');
    }
    return el;
  }

  /** Colour for a lifecycle status, read from the CSS custom property --status-<status>. */
  function statusColour(status) {
    if (!status) {
      return DEFAULT_COLOUR;
    }
    var key = String(status).toLowerCase();
    var value = '';
    if (global.getComputedStyle && document.documentElement) {
      value = global.getComputedStyle(document.documentElement)
        .getPropertyValue('--status-' + key).trim();
    }
    return value || STATUS_FALLBACK[key] || DEFAULT_COLOUR;
  }

  function parseGeoJSON(value) {
    if (value === null || value === undefined) {
      return null;
    }
    if (typeof value === 'string') {
      var text = value.trim();
      if (!text) {
        return null;
      }
      return JSON.parse(text);
    }
    return value;
  }

  /**
   * Create a Leaflet map in element `elementId`, centred on Viet Nam.
   * options: any L.map option (center, zoom, maxZoom, scrollWheelZoom, ...), plus
   *   tileUrl / tileAttribution: override <body data-tile-url / data-tile-attribution>;
   *   scale: false to hide the metric scale bar.
   */
  function create(elementId, options) {
    var L = requireLeaflet();
    var el = byId(elementId);
    var opts = L.extend({}, options || {});
    var body = document.body || {dataset: {}};
    var tileUrl = opts.tileUrl !== undefined ? opts.tileUrl : (body.dataset.tileUrl || '');
    var attribution = opts.tileAttribution !== undefined
      ? opts.tileAttribution : (body.dataset.tileAttribution || '');
    var showScale = opts.scale !== false;
    delete opts.tileUrl;
    delete opts.tileAttribution;
    delete opts.scale;

    var initialView = opts.center !== undefined || opts.zoom !== undefined;
    var mapOptions = L.extend({
      minZoom: 3,
      // Without a tile layer Leaflet has no max zoom of its own: fitting a small plot would
      // zoom in without limit.
      maxZoom: MAX_ZOOM,
      attributionControl: Boolean(tileUrl && attribution)
    }, opts);
    if (initialView) {
      mapOptions.center = mapOptions.center || VIETNAM_CENTER;
      mapOptions.zoom = mapOptions.zoom !== undefined ? mapOptions.zoom : DEFAULT_ZOOM;
    }

    var map = L.map(el, mapOptions);
    if (!initialView) {
      // Set before the map has a view, so no zoom animation is left running to undo a later
      // fitBounds (to a geometry) when it ends.
      map.fitBounds(VIETNAM_BOUNDS, {animate: false});
    }
    if (tileUrl) {
      L.tileLayer(tileUrl, {maxZoom: mapOptions.maxZoom, attribution: attribution}).addTo(map);
    } else {
      el.classList.add('map-no-tiles');
    }
    if (showScale) {
      L.control.scale({imperial: false}).addTo(map);
    }
    return map;
  }

  function fit(map, layer, options) {
    var bounds = layer.getBounds ? layer.getBounds() : null;
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, {
        padding: [20, 20],
        maxZoom: (options && options.maxZoom) || 17,
        animate: false
      });
      return true;
    }
    return false;
  }

  /**
   * Add GeoJSON (object or JSON string: FeatureCollection, Feature or bare geometry) to map.
   * options:
   *   styleByStatus (default true): colour by feature.properties.status, as the badges;
   *   fit (default true): fit the map to the features; maxZoom: cap for that fit;
   *   style: extra L.Path options merged into every feature's style;
   *   radius: radius in pixels of the circle markers drawn for points (default 7).
   * A feature's properties.popup (HTML string, built and escaped by the server) becomes its
   * popup; properties.label (plain text) its tooltip; properties.overdue draws it dashed.
   * Point features are drawn as circle markers in the status colour.
   * Returns the L.GeoJSON layer.
   */
  function addGeoJSON(map, geojson, options) {
    var L = requireLeaflet();
    var opts = L.extend({styleByStatus: true, fit: true}, options || {});
    var data = parseGeoJSON(geojson);
    var extra = opts.style || {};

    function styleFor(feature) {
      var props = (feature && feature.properties) || {};
      var colour = opts.styleByStatus ? statusColour(props.status) : EDIT_COLOUR;
      var style = {color: colour, weight: 2, opacity: 0.95, fillColor: colour, fillOpacity: 0.25};
      if (props.overdue) {
        style.dashArray = '6 4';
      }
      return L.extend(style, extra);
    }

    var layer = L.geoJSON(data || [], {
      style: styleFor,
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(
          latlng, L.extend(styleFor(feature), {radius: opts.radius || 7, fillOpacity: 0.7})
        );
      },
      onEachFeature: function (feature, featureLayer) {
        var props = feature.properties || {};
        if (props.popup) {
          featureLayer.bindPopup(String(props.popup), {maxWidth: 320});
        }
        if (props.label) {
          var tip = document.createElement('span');
          tip.textContent = String(props.label);  // plain text, never parsed as HTML
          featureLayer.bindTooltip(tip, {sticky: true});
        }
      }
    }).addTo(map);

    if (opts.fit) {
      fit(map, layer, opts);
    }
    return layer;
  }

  var PLOT_ZOOM = 14;
  var NEIGHBOUR_STYLE = {color: '#7a857f', weight: 1.5, fillColor: '#7a857f', fillOpacity: 0.12,
    dashArray: '3 3'};

  /**
   * Open the map on a view the server chose (registry/map_view.py): {bounds: [[s, w], [n, e]],
   * source, place}. Sets data-map-source on the map's element. Returns true when it moved.
   */
  function openOn(map, view) {
    var L = requireLeaflet();
    if (!view || !view.bounds) {
      return false;
    }
    var bounds = L.latLngBounds(view.bounds);
    if (!bounds.isValid()) {
      return false;
    }
    map.fitBounds(bounds, {animate: false, maxZoom: 17});
    map.getContainer().dataset.mapSource = view.source || '';
    return true;
  }

  /**
   * What the service knows around an area, drawn read-only under the area's own plots:
   * neighbouring plots (grey, dashed, a plain-text label each) and the commune's outline
   * where the data has one. data: {neighbours: FeatureCollection, outline: geometry|null}.
   */
  function addSurroundings(map, data) {
    var layers = {};
    if (!data) {
      return layers;
    }
    if (data.outline) {
      layers.outline = addGeoJSON(map, data.outline, {
        styleByStatus: false, fit: false,
        style: {color: '#5f6b66', weight: 2, fill: false, dashArray: '8 6', interactive: false}
      });
    }
    var neighbours = data.neighbours;
    if (neighbours && neighbours.features && neighbours.features.length) {
      layers.neighbours = addGeoJSON(map, neighbours, {
        styleByStatus: false, fit: false, style: NEIGHBOUR_STYLE
      });
      layers.neighbours.bringToBack();
    }
    if (layers.outline) {
      layers.outline.bringToBack();
    }
    return layers;
  }

  /**
   * A map of planting areas that stays readable at every zoom: the features whose
   * properties.kind is "area" (one point per area) are shown as circle markers below
   * `plotZoom`, the others (the plots' polygons) from `plotZoom` on. Fits the map to all
   * the features. options: plotZoom (default 14), maxZoom (cap of the fit), radius (of the
   * area markers, default 8), zoomLabel (text of a button in an area's popup that zooms to
   * its plots, matched by properties.area; none without it).
   * Returns {areas, plots, update()} (two L.GeoJSON layers).
   */
  function addAreaMap(map, geojson, options) {
    var L = requireLeaflet();
    var opts = L.extend({plotZoom: PLOT_ZOOM, radius: 8}, options || {});
    var data = parseGeoJSON(geojson) || {type: 'FeatureCollection', features: []};
    var features = data.type === 'FeatureCollection' ? (data.features || []) : [data];
    var areaFeatures = [];
    var plotFeatures = [];
    features.forEach(function (f) {
      (f && f.properties && f.properties.kind === 'area' ? areaFeatures : plotFeatures).push(f);
    });
    var collection = function (list) { return {type: 'FeatureCollection', features: list}; };
    var plots = addGeoJSON(map, collection(plotFeatures), {fit: false});
    var areas = addGeoJSON(map, collection(areaFeatures), {fit: false, radius: opts.radius});

    if (opts.zoomLabel) {
      addZoomButtons(map, areas, plots, opts);
    }

    var bounds = L.latLngBounds([]);
    [plots, areas].forEach(function (layer) {
      var b = layer.getBounds();
      if (b.isValid()) {
        bounds.extend(b);
      }
    });
    if (bounds.isValid()) {
      fit(map, {getBounds: function () { return bounds; }}, opts);
    }

    function show(layer, visible) {
      if (visible && !map.hasLayer(layer)) {
        map.addLayer(layer);
      } else if (!visible && map.hasLayer(layer)) {
        map.removeLayer(layer);
      }
    }

    function update() {
      // Without area points (one area's map), the plots are always shown.
      var near = map.getZoom() >= opts.plotZoom || areaFeatures.length === 0;
      show(plots, near);
      show(areas, !near);
      var el = map.getContainer();
      el.classList.toggle('map-zoomed-in', near);
    }

    map.on('zoomend', update);
    update();
    return {areas: areas, plots: plots, update: update};
  }

  /* Give each area marker's popup a button that zooms the map to that area's plots. */
  function addZoomButtons(map, areas, plots, opts) {
    var L = requireLeaflet();
    var plotBounds = {};
    plots.eachLayer(function (layer) {
      var id = layer.feature && layer.feature.properties && layer.feature.properties.area;
      if (id === undefined || id === null || !layer.getBounds) {
        return;
      }
      plotBounds[id] = plotBounds[id] || L.latLngBounds([]);
      plotBounds[id].extend(layer.getBounds());
    });
    areas.eachLayer(function (layer) {
      var props = (layer.feature && layer.feature.properties) || {};
      var target = plotBounds[props.area];
      if (!target || !target.isValid()) {
        return;
      }
      var content = document.createElement('div');
      content.innerHTML = String(props.popup || '');  // built and escaped by the server
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small btn-secondary';
      button.textContent = opts.zoomLabel;
      button.addEventListener('click', function () {
        map.closePopup();
        map.fitBounds(target, {padding: [30, 30], maxZoom: 17, animate: false});
        if (map.getZoom() < opts.plotZoom) {
          map.setView(target.getCenter(), opts.plotZoom, {animate: false});
        }
      });
      content.appendChild(button);
      layer.unbindPopup();
      layer.bindPopup(content, {maxWidth: 320});
    });
  }

  /** A number in the page's language (<html lang>): "1,250" in Vietnamese, "1.250" in
   * English; thousands grouped as the language does ("10.000" in Vietnamese). */
  function formatNumber(value, decimals) {
    var lang = (document.documentElement && document.documentElement.lang) || 'en';
    try {
      return Number(value).toLocaleString(lang, {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals
      });
    } catch (e) {
      return Number(value).toFixed(decimals);
    }
  }

  // ---- geometry helpers (GeoJSON coordinates are [lon, lat]) ----

  function ringSignedArea(ring) {
    var sum = 0;
    for (var i = 0, n = ring.length; i < n - 1; i++) {
      sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
    }
    return sum / 2;
  }

  /** RFC 7946 right-hand rule: exterior ring counter-clockwise, holes clockwise. */
  function orientPolygon(rings) {
    return rings.map(function (ring, index) {
      var ccw = ringSignedArea(ring) > 0;
      var wantCcw = index === 0;
      return ccw === wantCcw ? ring : ring.slice().reverse();
    });
  }

  /** Geodesic area in hectares of a Polygon/MultiPolygon GeoJSON geometry (holes removed). */
  function areaHectares(geometry) {
    var L = requireLeaflet();
    if (!geometry || !L.GeometryUtil || !L.GeometryUtil.geodesicArea) {
      return null;
    }
    var polygons = geometry.type === 'Polygon' ? [geometry.coordinates]
      : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    var total = 0;
    polygons.forEach(function (rings) {
      rings.forEach(function (ring, index) {
        var latlngs = ring.map(function (c) { return L.latLng(c[1], c[0]); });
        var a = L.GeometryUtil.geodesicArea(latlngs);
        total += index === 0 ? a : -a;
      });
    });
    return total / 10000;
  }

  /** Polygons (arrays of rings of [lon, lat]) found in any GeoJSON object. */
  function collectPolygons(obj, out) {
    if (!obj) {
      return out;
    }
    switch (obj.type) {
      case 'FeatureCollection':
        (obj.features || []).forEach(function (f) { collectPolygons(f, out); });
        break;
      case 'Feature':
        collectPolygons(obj.geometry, out);
        break;
      case 'GeometryCollection':
        (obj.geometries || []).forEach(function (g) { collectPolygons(g, out); });
        break;
      case 'Polygon':
        out.push(obj.coordinates);
        break;
      case 'MultiPolygon':
        obj.coordinates.forEach(function (p) { out.push(p); });
        break;
      default:
        break;
    }
    return out;
  }

  var drawPatched = false;

  /* Guard for Leaflet.draw 1.0.4: where a mouse click also reaches the plugin's touch
   * handler, vertices get added twice ("shape edges cannot cross") or a polygon ends early
   * (Leaflet.draw issues #789, #935). Leave mouse input to the mouse handlers; touch and pen
   * input still go through _onTouch. */
  // The drawing tools' words in the page's language: includes/draw_local.html puts them (from
// translatable strings) in <script id="draw-local">; merged into Leaflet.draw's L.drawLocal.
function applyDrawLocal(L) {
  var node = document.getElementById('draw-local');
  if (!node || !L.drawLocal) { return; }
  var words;
  try { words = JSON.parse(node.textContent); } catch (e) { return; }
  (function merge(target, source) {
    Object.keys(source).forEach(function (key) {
      if (source[key] && typeof source[key] === 'object') {
        if (!target[key] || typeof target[key] !== 'object') { target[key] = {}; }
        merge(target[key], source[key]);
      } else if (typeof source[key] === 'string' && source[key]) {
        target[key] = source[key];
      }
    });
  })(L.drawLocal, words);
}

function patchLeafletDraw(L) {
    if (drawPatched || !L.Draw || !L.Draw.Polyline) {
      return;
    }
    var original = L.Draw.Polyline.prototype._onTouch;
    if (typeof original === 'function') {
      L.Draw.Polyline.prototype._onTouch = function (e) {
        var oe = e && e.originalEvent;
        if (oe && oe.pointerType === 'mouse') {
          return undefined;
        }
        return original.apply(this, arguments);
      };
    }
    drawPatched = true;
  }

  /**
   * Polygon editor bound to a textarea holding a GeoJSON geometry.
   * Loads the textarea's geometry (Polygon, MultiPolygon, Feature or FeatureCollection) for
   * editing; after each draw/edit/delete writes back a Polygon (one part) or MultiPolygon
   * (several parts), or '' when nothing is left, and fires 'input' and 'change' on it.
   * options:
   *   areaOutputId: element whose text is set to the area, e.g. "1.25 ha";
   *   onChange: function (geometryOrNull, hectaresOrNull);
   *   readOnly: show the geometry without drawing tools;
   *   precision: decimals kept in coordinates (default 7, about 1 cm).
   * Returns {layer, control, geometry(), refresh()}.
   */
  function drawEditor(map, textareaId, options) {
    var L = requireLeaflet();
    var textarea = byId(textareaId);
    var opts = L.extend({precision: 7}, options || {});
    var shapeOptions = {color: EDIT_COLOUR, weight: 2, fillColor: EDIT_COLOUR, fillOpacity: 0.25};
    var items = L.featureGroup().addTo(map);
    var control = null;

    // Load the existing geometry, one L.Polygon per part.
    var existing = null;
    try {
      existing = parseGeoJSON(textarea.value);
    } catch (err) {
      if (global.console) {
        global.console.warn('AgriMap.drawEditor: textarea does not hold valid GeoJSON', err);
      }
    }
    collectPolygons(existing, []).forEach(function (rings) {
      var latlngs = L.GeoJSON.coordsToLatLngs(rings, 1);
      items.addLayer(L.polygon(latlngs, shapeOptions));
    });
    fit(map, items, {maxZoom: 18});

    function currentGeometry() {
      var parts = [];
      items.eachLayer(function (layer) {
        if (!(layer instanceof L.Polygon)) {
          return;
        }
        var geom = layer.toGeoJSON(opts.precision).geometry;
        if (geom.type === 'Polygon') {
          parts.push(orientPolygon(geom.coordinates));
        } else if (geom.type === 'MultiPolygon') {
          geom.coordinates.forEach(function (p) { parts.push(orientPolygon(p)); });
        }
      });
      if (parts.length === 0) {
        return null;
      }
      if (parts.length === 1) {
        return {type: 'Polygon', coordinates: parts[0]};
      }
      return {type: 'MultiPolygon', coordinates: parts};
    }

    function showArea(geometry) {
      var ha = geometry ? areaHectares(geometry) : null;
      if (opts.areaOutputId) {
        var out = document.getElementById(opts.areaOutputId);
        if (out) {
          out.textContent = ha === null ? '' : formatNumber(ha, ha < 10 ? 3 : 2) + ' ha';
        }
      }
      return ha;
    }

    function fire(name) {
      var event;
      if (typeof global.Event === 'function') {
        event = new global.Event(name, {bubbles: true});
      } else {
        event = document.createEvent('Event');
        event.initEvent(name, true, false);
      }
      textarea.dispatchEvent(event);
    }

    function write() {
      var geometry = currentGeometry();
      textarea.value = geometry ? JSON.stringify(geometry) : '';
      var ha = showArea(geometry);
      fire('input');
      fire('change');
      if (typeof opts.onChange === 'function') {
        opts.onChange(geometry, ha);
      }
      return geometry;
    }

    showArea(currentGeometry());

    if (!opts.readOnly) {
      if (!L.Control || !L.Control.Draw) {
        throw new Error('AgriMap.drawEditor: Leaflet.draw (vendor/leaflet-draw) must be loaded');
      }
      patchLeafletDraw(L);
      applyDrawLocal(L);
      control = new L.Control.Draw({
        position: 'topleft',
        draw: {
          // The plugin's own area tooltip is imperial/metric-mixed; areaOutputId shows hectares.
          polygon: {allowIntersection: false, showArea: false, shapeOptions: shapeOptions},
          rectangle: {shapeOptions: shapeOptions},
          polyline: false,
          circle: false,
          circlemarker: false,
          marker: false
        },
        edit: {
          featureGroup: items,
          poly: {allowIntersection: false}
        }
      });
      map.addControl(control);

      map.on(L.Draw.Event.CREATED, function (e) {
        items.addLayer(e.layer);
        write();
      });
      map.on(L.Draw.Event.EDITED, write);
      map.on(L.Draw.Event.DELETED, write);
    }

    return {
      layer: items,
      control: control,
      geometry: currentGeometry,
      refresh: write
    };
  }

  global.AgriMap = {
    create: create,
    addGeoJSON: addGeoJSON,
    addAreaMap: addAreaMap,
    openOn: openOn,
    addSurroundings: addSurroundings,
    drawEditor: drawEditor,
    statusColour: statusColour,
    areaHectares: areaHectares,
    formatNumber: formatNumber,
    orientPolygon: orientPolygon,
    VIETNAM_CENTER: VIETNAM_CENTER,
    VIETNAM_BOUNDS: VIETNAM_BOUNDS,
    PLOT_ZOOM: PLOT_ZOOM
  };
}(window));
