/* Planificar: start a plan job, follow it every 2 s, show its plan, publish it. */
"use strict";

(function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const W = DayMap.words();
  const form = document.getElementById("plan-form");
  const jobBox = document.getElementById("job");
  const bar = document.getElementById("job-progress");
  const statusText = document.getElementById("job-status");
  let map = null;
  let shownPlan = null;
  let timer = null;

  function text(tag, value, cls) {
    const node = document.createElement(tag);
    node.textContent = value;
    if (cls) node.className = cls;
    return node;
  }

  async function follow(jobId) {
    jobBox.hidden = false;
    clearTimeout(timer);
    let job;
    try {
      job = await DayMap.fetchJson(`/planificar/trabajos/${jobId}`);
    } catch (err) {
      statusText.textContent = DayMap.say(W.error, { error: err.message });
      return;
    }
    bar.value = job.progress || 0;
    if (job.status === "failed") {
      statusText.textContent = DayMap.say(W.failed, { error: job.error_text || "" });
      return;
    }
    if (job.status === "done" && job.result) {
      bar.value = 1;
      statusText.textContent = W.done;
      showResult(job.result);
      return;
    }
    statusText.textContent = job.status === "queued" ? W.queued
      : DayMap.say(W.running, { pct: Math.round((job.progress || 0) * 100) + " %" });
    timer = setTimeout(() => follow(jobId), 2000);
  }

  function sheetLinks(planId, truck) {
    const cell = document.createElement("td");
    ["pdf", "gpx", "kml"].forEach((kind, i) => {
      if (i) cell.append(" · ");
      const a = text("a", kind.toUpperCase());
      a.href = `/planificar/hojas/${planId}/${encodeURIComponent(truck)}.${kind}`;
      a.className = `sheet-${kind}`;
      cell.append(a);
    });
    return cell;
  }

  async function showResult(result) {
    const section = document.getElementById("result");
    section.hidden = false;
    section.dataset.planId = result.plan_id;
    document.getElementById("result-plan").textContent = `#${result.plan_id}`;
    const body = document.querySelector("#truck-table tbody");
    body.replaceChildren();
    result.trucks.forEach((t) => {
      const row = document.createElement("tr");
      [t.vehicle_id, t.streets, t.stops, t.kg.toLocaleString("es-PE"), t.km, t.hours, t.unloads,
        t.departure, t.back].forEach((v) => row.append(text("td", v)));
      row.append(sheetLinks(result.plan_id, t.vehicle_id));
      body.append(row);
    });
    const left = document.getElementById("left-out");
    left.replaceChildren();
    if (!result.left_out.length) left.append(text("li", W.none));
    result.left_out.forEach((x) => left.append(text("li", `${x.name}: ${x.reason}`)));
    const carried = document.getElementById("carried");
    carried.hidden = !result.carry_over;
    carried.textContent = result.carry_over ? DayMap.say(W.carried, {
      plan: result.carry_over.from_plan, count: result.carry_over.jobs.length,
    }) : "";
    const cmp = document.getElementById("comparison");
    cmp.hidden = !result.comparison;
    if (result.comparison) {
      const rows = cmp.querySelector("tbody");
      rows.replaceChildren();
      result.comparison.forEach((c) => {
        const row = document.createElement("tr");
        const sign = c.change > 0 ? "+" : "";
        [W[`figure_${c.figure}`] || c.figure, c.published, c.new, `${sign}${c.change}`]
          .forEach((v) => row.append(text("td", v)));
        rows.append(row);
      });
    }
    const publishStatus = document.getElementById("publish-status");
    publishStatus.textContent = result.is_published ? W.is_published : "";
    if (shownPlan !== result.plan_id) {
      shownPlan = result.plan_id;
      const data = await DayMap.fetchJson(`/planificar/planes/${result.plan_id}/mapa`);
      if (!map) map = DayMap.newMap("plan-map");
      map.eachLayer((layer) => { if (!(layer instanceof L.TileLayer)) map.removeLayer(layer); });
      DayMap.drawRoutes(map, data.routes);
    }
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = {
        area: page.area, date: page.date,
        vehicles_out: data.getAll("vehicles_out"),
        time_limit_s: Number(data.get("time_limit_s") || 10),
      };
      if (data.get("carry_over_from")) body.carry_over_from = Number(data.get("carry_over_from"));
      statusText.textContent = W.queued;
      jobBox.hidden = false;
      bar.value = 0;
      try {
        const job = await DayMap.fetchJson("/planificar/trabajos", { method: "POST", body });
        follow(job.id);
      } catch (err) {
        statusText.textContent = DayMap.say(W.error, { error: err.message });
      }
    });
  }

  const publishButton = document.getElementById("publish");
  if (publishButton) {
    publishButton.addEventListener("click", async () => {
      const out = document.getElementById("publish-status");
      const planId = Number(document.getElementById("result").dataset.planId);
      publishButton.disabled = true;
      try {
        const done = await DayMap.fetchJson("/planificar/publicar", {
          method: "POST", body: { plan_id: planId },
        });
        out.replaceChildren(text("span", W.published + " "));
        const link = text("a", W.public_map);
        link.href = done.coverage;
        out.append(link);
        if (done.without_phone.length) {
          out.append(text("span", " " + DayMap.say(W.no_phone, { trucks: done.without_phone.join(", ") })));
        }
      } catch (err) {
        out.textContent = DayMap.say(W.error, { error: err.message });
      } finally {
        publishButton.disabled = false;
      }
    });
  }

  // Back on the page: follow the latest job of this date, or show the published plan.
  const latest = (page.jobs || [])[0];
  if (latest) follow(latest.id);
})();
