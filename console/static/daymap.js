/* Basura Cero console: shared helpers of the day's maps (Leaflet, vendored under /static). */
"use strict";

window.DayMap = (function () {
  const STATUS_COLOURS = {
    served: "#1a9641", missed: "#d7191c", unknown: "#fdae61", pending: "#7f7f7f",
  };

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /** JSON from the console; throws an Error with the API's message on a 4xx/5xx. */
  async function fetchJson(url, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    if (opts.body && typeof opts.body !== "string") {
      opts.body = JSON.stringify(opts.body);
      opts.headers["Content-Type"] = "application/json";
    }
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    const answer = await fetch(url, opts);
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const message = (data.error && data.error.message) || answer.statusText;
      throw new Error(message);
    }
    return data;
  }

  function words() {
    const node = document.getElementById("words");
    return node ? JSON.parse(node.textContent) : {};
  }

  function say(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
  }

  /** A Leaflet map; OpenStreetMap tiles unless the page was opened with ?tiles=none. */
  function newMap(element) {
    const map = L.map(element, { zoomSnap: 0.25, preferCanvas: false });
    // ?tiles=none (an office without internet) is remembered by this browser; ?tiles=osm undoes it.
    let tiles = new URLSearchParams(location.search).get("tiles");
    try {
      if (tiles) localStorage.setItem("basuracero.tiles", tiles);
      else tiles = localStorage.getItem("basuracero.tiles");
    } catch (err) { /* storage refused: the page's own choice only */ }
    if (tiles !== "none") {
      L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19, attribution: "© OpenStreetMap contributors",
      }).addTo(map);
    } else {
      map.attributionControl.addAttribution("© OpenStreetMap contributors");
    }
    return map;
  }

  /** Draw each route's path and its streets/stops; returns {layers, jobs: id → layer}. */
  function drawRoutes(map, routes, options) {
    const opts = Object.assign({ jobColour: null }, options || {});
    const jobs = {};
    const bounds = L.latLngBounds([]);
    routes.forEach((route) => {
      const group = L.layerGroup().addTo(map);
      if (route.path.length > 1) {
        L.polyline(route.path, { color: route.colour, weight: 3, opacity: 0.45 }).addTo(group);
      }
      route.jobs.forEach((job) => {
        const colour = opts.jobColour ? opts.jobColour(job) : route.colour;
        let layer;
        if (job.line && job.line.length > 1) {
          layer = L.polyline(job.line, { color: colour, weight: 5, opacity: 0.9 });
        } else {
          layer = L.circleMarker(job.point, { radius: 5, color: colour, fillOpacity: 0.9 });
        }
        layer.bindTooltip(`${route.truck} · ${job.number}. ${job.label} (${job.planned})`);
        layer.addTo(group);
        bounds.extend(layer.getBounds ? layer.getBounds() : layer.getLatLng());  // the served area, not the trips to the landfill
        jobs[job.id] = layer;
      });
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    return { jobs };
  }

  return { STATUS_COLOURS, csrf, fetchJson, words, say, newMap, drawRoutes };
})();
