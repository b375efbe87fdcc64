/* Hoy: the day live. Map and progress once, then Server-Sent Events move markers and recolour. */
"use strict";

(function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const W = DayMap.words();
  if (!page.plan_id) return;
  const area = encodeURIComponent(page.area);
  const map = DayMap.newMap("today-map");
  const markers = {};
  const lastEpoch = {};
  let jobLayers = {};
  let selected = null;
  let replayMarker = null;
  let replayTrack = [];

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ago(epoch) {
    if (!epoch) return "";
    const s = Math.max(0, Math.round(Date.now() / 1000 - epoch));
    return s < 120 ? DayMap.say(W.s, { n: s }) : DayMap.say(W.min, { n: Math.round(s / 60) });
  }

  function card(truck) {
    let node = document.getElementById(`truck-${truck}`);
    if (!node) {
      node = el("div", "truck");
      node.id = `truck-${truck}`;
      node.dataset.truck = truck;
      node.tabIndex = 0;
      node.addEventListener("click", () => select(truck));
      node.addEventListener("keydown", (e) => { if (e.key === "Enter") select(truck); });
      document.getElementById("trucks").append(node);
    }
    return node;
  }

  function renderTruck(t) {
    const node = card(t.truck);
    node.replaceChildren();
    const head = el("h3");
    head.append(el("span", "", t.truck), el("span", "count", `${t.served}/${t.total}`));
    const bar = el("div", "bar");
    bar.setAttribute("role", "img");
    const parts = ["served", "missed", "unknown", "pending"];
    bar.setAttribute("aria-label", parts.map((k) => `${W[k]} ${t[k]}`).join(", "));
    parts.forEach((k) => {
      const piece = el("span", k);
      piece.style.width = `${t.total ? (100 * t[k]) / t.total : 0}%`;
      piece.title = `${W[k]}: ${t[k]}`;
      bar.append(piece);
    });
    node.dataset.served = t.served;
    const facts = el("div", "facts");
    facts.append(el("span", "", parts.map((k) => `${W[k]} ${t[k]}`).join(" · ")));
    facts.append(el("span", "", t.delay_min === null ? W.no_delay
      : t.delay_min <= 0 ? W.early : DayMap.say(W.delay, { min: t.delay_min })));
    const last = el("span", "last-fix", !t.device ? W.no_phone : t.last_fix
      ? DayMap.say(W.last_fix, { time: t.last_fix, ago: ago(t.last_epoch) }) : W.no_fix);
    last.dataset.epoch = t.last_epoch || "";
    last.dataset.time = t.last_fix || "";
    facts.append(last);
    const alerts = el("ul", "alerts");
    t.alerts.forEach((a) => {
      const item = el("li", `alert alert-${a.kind}`, a.text);
      alerts.append(item);
    });
    node.append(head, bar, facts, alerts);
    if (selected === t.truck) node.classList.add("selected");
  }

  function showProgress(p) {
    if (!p) return;
    document.getElementById("updated").textContent = p.at;
    p.trucks.forEach(renderTruck);
    Object.entries(p.statuses).forEach(([id, status]) => {
      const layer = jobLayers[id];
      if (layer) layer.setStyle({ color: DayMap.STATUS_COLOURS[status] || "#7f7f7f" });
    });
    if (selected) loadDetail(selected, false);
  }

  function move(fix) {
    if (lastEpoch[fix.truck] && lastEpoch[fix.truck] >= fix.epoch) return;
    lastEpoch[fix.truck] = fix.epoch;
    const where = [fix.lat, fix.lon];
    let marker = markers[fix.truck];
    if (!marker) {
      const icon = L.divIcon({ className: "truck-marker", html: fix.truck, iconSize: [34, 20] });
      marker = L.marker(where, { icon, title: fix.truck, zIndexOffset: 1000 }).addTo(map);
      marker.on("click", () => select(fix.truck));
      markers[fix.truck] = marker;
    } else {
      marker.setLatLng(where);
    }
    marker.getElement().dataset.lat = fix.lat;
    marker.getElement().dataset.lon = fix.lon;
    marker.bindTooltip(`${fix.truck} · ${fix.time}`);
    const last = document.querySelector(`#truck-${fix.truck} .last-fix`);
    if (last) {
      last.dataset.epoch = fix.epoch;
      last.dataset.time = fix.time;
      last.textContent = DayMap.say(W.last_fix, { time: fix.time, ago: ago(fix.epoch) });
    }
  }

  async function loadDetail(truck, fit) {
    const data = await DayMap.fetchJson(`/hoy/camion?area=${area}&truck=${encodeURIComponent(truck)}`);
    const box = document.getElementById("truck-detail");
    box.hidden = false;
    document.getElementById("detail-title").textContent = truck;
    const list = document.getElementById("stop-list");
    list.replaceChildren();
    data.stops.forEach((s) => {
      const when = s.served ? DayMap.say(W.served_at, { time: s.served })
        : DayMap.say(W.planned, { time: s.planned });
      const item = el("li", s.status, `${s.label} — ${W[s.status]} (${when})`);
      if (s.reason) item.title = s.reason;
      list.append(item);
    });
    replayTrack = data.track;
    const slider = document.getElementById("replay");
    const atEnd = Number(slider.value) >= Number(slider.max);
    slider.max = Math.max(0, replayTrack.length - 1);
    if (fit || atEnd) slider.value = slider.max;
    showReplay();
    if (fit && replayTrack.length) {
      map.fitBounds(L.latLngBounds(replayTrack.map((p) => [p[0], p[1]])), { padding: [20, 20], maxZoom: 17 });
    }
  }

  function showReplay() {
    const point = replayTrack[Number(document.getElementById("replay").value)];
    document.getElementById("replay-time").textContent = point ? point[2] : "";
    if (!point) return;
    if (!replayMarker) {
      replayMarker = L.circleMarker([point[0], point[1]], { radius: 7, color: "#000", fillColor: "#fff", fillOpacity: 1 }).addTo(map);
    } else {
      replayMarker.setLatLng([point[0], point[1]]);
    }
  }

  function select(truck) {
    selected = truck;
    document.querySelectorAll(".truck").forEach((n) => n.classList.toggle("selected", n.dataset.truck === truck));
    loadDetail(truck, true);
  }

  document.getElementById("replay").addEventListener("input", showReplay);

  setInterval(() => {
    document.querySelectorAll(".last-fix").forEach((node) => {
      if (node.dataset.epoch) {
        node.textContent = DayMap.say(W.last_fix, { time: node.dataset.time, ago: ago(Number(node.dataset.epoch)) });
      }
    });
  }, 5000);

  async function start() {
    const data = await DayMap.fetchJson(`/hoy/datos?area=${area}`);
    jobLayers = DayMap.drawRoutes(map, data.routes, { jobColour: () => DayMap.STATUS_COLOURS.pending }).jobs;
    data.positions.forEach(move);
    showProgress(data.progress);
    const stream = new EventSource(`/hoy/stream?area=${area}`);
    const dot = document.getElementById("live-dot");
    stream.onopen = () => dot.classList.add("on");
    stream.onerror = () => dot.classList.remove("on");
    stream.addEventListener("position", (e) => move(JSON.parse(e.data)));
    stream.addEventListener("progress", (e) => showProgress(JSON.parse(e.data)));
  }
  start();
})();
