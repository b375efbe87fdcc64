// Draws /transparencia's charts from the numbers embedded in the page (the same as its tables).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = { mixed: "#6b6f73", recyclables: "#1f6fb2", organics: "#2e8b57" };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function goal(value, label) {
    if (value === null || value === undefined) { return []; }
    return [{ type: "line", label: label, data: data.labels.map(function () { return value; }),
              borderColor: "#b3261e", borderDash: [6, 4], pointRadius: 0, borderWidth: 2 }];
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }
  var goalLabel = data.words.goal;
  var percent = { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } };

  draw("chart-coverage", { type: "bar", options: { scales: percent },
    data: { labels: data.labels, datasets: [
      { label: "%", data: data.coverage, backgroundColor: "#1b7a43" }
    ].concat(goal(data.coverage_target, goalLabel)) } });

  draw("chart-tonnes", { type: "bar",
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    data: { labels: data.labels, datasets: Object.keys(data.tonnes).map(function (s) {
      return { label: data.stream_names[s], data: data.tonnes[s], backgroundColor: colours[s] };
    }) } });

  draw("chart-diversion", { type: "line", options: { scales: percent },
    data: { labels: data.labels, datasets: [
      { label: "%", data: data.diversion, borderColor: "#1f6fb2", backgroundColor: "#1f6fb2",
        spanGaps: false }
    ].concat(goal(data.diversion_target, goalLabel)) } });

  var reportLabels = [data.words.received, data.words.resolved];
  draw("chart-reports", { type: "bar", options: { scales: { y: { beginAtZero: true } } },
    data: { labels: data.labels, datasets: [
      { label: reportLabels[0], data: data.received, backgroundColor: "#c77c0e" },
      { label: reportLabels[1], data: data.resolved, backgroundColor: "#1b7a43" }
    ] } });
}());
