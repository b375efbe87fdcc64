/* Basura Cero public maps: each block's popup and highlight, and the street search.
 *
 * Our own code (Apache-2.0), served next to the maps like the vendored Leaflet files, so the
 * pages work offline. The search uses leaflet-search's control with our own records: every block
 * registers its label here, the ranking ignores accents and case, and Enter picks the best match
 * at once (a neighbour types "30 de mayo" and presses Enter; they do not pick from a list).
 */
(function () {
  "use strict";
  var BC = (window.BasuraCero = window.BasuraCero || {});
  var labels = {}; // search label -> the layers drawing that block (one per stream on a week)
  var groups = {}; // group id -> layer to show again when a hidden block is searched
  var halo = null;
  var selected = null;

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* on_each_feature of every block layer: popup, tooltip, search label, highlight. */
  BC.block = function (feature, layer) {
    var p = feature.properties || {};
    if (p.popup) {
      layer.bindPopup(p.popup, { maxWidth: 300, autoPanPadding: [16, 16] });
    }
    if (p.tip) {
      layer.bindTooltip(p.tip, { sticky: true });
    }
    if (p.search) {
      (labels[p.search] = labels[p.search] || []).push(layer);
    }
    layer.on("popupopen", function () { BC.select(layer); });
    layer.on("popupclose", function () { if (selected === layer) { BC.select(null); } });
  };

  BC.group = function (id, layer) { groups[id] = layer; };

  /* A dark casing under the chosen block, so it stands out among its neighbours. */
  BC.select = function (layer) {
    if (halo) { halo.remove(); halo = null; }
    selected = layer;
    if (!layer || !layer._map || !layer.getLatLngs) { return; }
    halo = L.polyline(layer.getLatLngs(), {
      color: "#111", weight: 17, opacity: 0.5, lineCap: "round", interactive: false
    }).addTo(layer._map);
    layer.bringToFront();
  };

  /* Every label with where it is; the layer on the map when the block is drawn twice. */
  BC.records = function (map) {
    var out = {};
    Object.keys(labels).forEach(function (label) {
      var layers = labels[label];
      var layer = layers.filter(function (l) { return map.hasLayer(l); })[0] || layers[0];
      var where = layer.getBounds().getCenter();
      where.layer = layer;
      out[label] = where;
    });
    return out;
  };

  /* Labels matching every typed word, best first: the street's own name starting with the text,
   * then containing it, then the text anywhere (a cross street), then the words scattered. */
  BC.rank = function (text, records) {
    var phrase = fold(text).replace(/\s+/g, " ").trim();
    var words = phrase.split(/[\s,·]+/).filter(Boolean);
    var found = [];
    if (!words.length) { return {}; }
    Object.keys(records).forEach(function (key) {
      var label = fold(key);
      var name = label.split(",")[0].split(" · ")[0];
      for (var i = 0; i < words.length; i++) {
        if (label.indexOf(words[i]) < 0) { return; }
      }
      var score = name.indexOf(phrase) === 0 ? 0 : name.indexOf(phrase) >= 0 ? 1
        : label.indexOf(phrase) >= 0 ? 2 : 3;
      found.push([score, key]);
    });
    found.sort(function (a, b) {
      return a[0] - b[0] || a[1].localeCompare(b[1], undefined, { numeric: true });
    });
    var ranked = {};
    found.forEach(function (item) { ranked[item[1]] = records[item[1]]; });
    return ranked;
  };

  /* Show the block: its group back on the map if the reader had hidden it, then its popup. */
  BC.open = function (map, layer) {
    if (!layer) { return; }
    var group = groups[(layer.feature && layer.feature.properties.group) || ""];
    if (!map.hasLayer(layer) && group) { map.addLayer(group); }
    map.fitBounds(layer.getBounds(), { maxZoom: 17, animate: false });
    layer.openPopup();
  };

  BC.search = function (map, words) {
    var control = new L.Control.Search({
      sourceData: function (text, done) { done(BC.records(map)); return { abort: function () {} }; },
      formatData: function (records) { return records; },
      filterData: BC.rank,
      buildTip: function (text) {
        var tip = document.createElement("li");
        tip.textContent = text; // street names are data: never HTML
        return tip;
      },
      moveToLocation: function () {}, // BC.open frames the block itself
      propertyName: "search", initial: false, marker: false, collapsed: false,
      position: "topleft", autoType: false, firstTipSubmit: true, tooltipLimit: 25,
      delayType: 250, textPlaceholder: words.placeholder, textErr: words.not_found,
      textCancel: words.cancel
    });
    var keyup = control._handleKeypress;
    control._handleKeypress = function (e) {
      if (e.keyCode === 13 && this._input.value) { // Enter right after typing: rank now
        clearTimeout(this.timerKeypress);
        this._fillRecordsCache();
      }
      return keyup.call(this, e);
    };
    control._getLocation = function (text) {
      var records = BC.records(map);
      this._recordsCache = records;
      if (Object.prototype.hasOwnProperty.call(records, text)) { return records[text]; }
      var best = Object.keys(BC.rank(text, records))[0];
      if (best === undefined) { return false; }
      this._input.value = best;
      return records[best];
    };
    control.on("search:locationfound", function (e) { BC.open(map, e.latlng.layer || e.layer); });
    map.addControl(control);
    return control;
  };
})();
