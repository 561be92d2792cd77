// KPI dashboards: charts (Chart.js, vendored) drawn from the page's JSON data blocks
// (json_script), the trend metric switch and the print button. No inline scripts (CSP).
(function () {
  "use strict";

  var COLORS = {
    primary: "#0d6efd",
    primarySoft: "rgba(13, 110, 253, 0.18)",
    plan: "#6c757d",
    green: "#198754",
    amber: "#e0a800",
    red: "#dc3545",
    none: "#adb5bd",
    teal: "#20c997",
    purple: "#6f42c1",
  };

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function statusColor(value, thresholds) {
    if (value === null || value === undefined) {
      return COLORS.none;
    }
    if (value >= thresholds[0]) {
      return COLORS.green;
    }
    return value >= thresholds[1] ? COLORS.amber : COLORS.red;
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-action='print']")) {
      window.print();
    }
  });

  if (!window.Chart) {
    return;
  }
  var Chart = window.Chart;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#6c757d";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation.duration = 250;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  var labels = readJson("kpi-labels") || {};

  function canvas(id) {
    return document.getElementById(id);
  }

  // --- dealer dashboard -------------------------------------------------------------------
  var dealer = readJson("kpi-dealer-data");
  if (dealer) {
    if (canvas("chart-funnel")) {
      var counts = dealer.funnel.counts;
      new Chart(canvas("chart-funnel"), {
        type: "bar",
        data: {
          labels: dealer.funnel.labels,
          datasets: [
            {
              label: labels.leads,
              data: counts,
              backgroundColor: counts.map(function (_, i) {
                return "rgba(13, 110, 253, " + (0.95 - i * 0.11).toFixed(2) + ")";
              }),
              borderRadius: 4,
            },
          ],
        },
        options: {
          indexAxis: "y",
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
        },
      });
    }

    var trend = dealer.trend;
    var trendChart = null;
    function seriesFor(metric) {
      return trend.series.find(function (s) {
        return s.metric === metric;
      }) || trend.series[0];
    }
    if (canvas("chart-trend")) {
      var first = seriesFor("orders");
      trendChart = new Chart(canvas("chart-trend"), {
        data: {
          labels: trend.labels,
          datasets: [
            {
              type: "bar",
              label: labels.actual,
              data: first.actual,
              backgroundColor: COLORS.primary,
              borderRadius: 3,
              order: 2,
            },
            {
              type: "line",
              label: labels.plan,
              data: first.plan,
              borderColor: COLORS.plan,
              backgroundColor: COLORS.plan,
              borderDash: [6, 4],
              pointRadius: 3,
              tension: 0, // straight: a curve overshot between months, showing plans nobody set
              order: 1,
            },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
        },
      });
    }
    document.querySelectorAll("[data-trend-metric]").forEach(function (button) {
      button.addEventListener("click", function () {
        var series = seriesFor(button.getAttribute("data-trend-metric"));
        document.querySelectorAll("[data-trend-metric]").forEach(function (other) {
          var on = other === button;
          other.classList.toggle("active", on);
          other.setAttribute("aria-pressed", on ? "true" : "false");
        });
        if (trendChart) {
          trendChart.data.datasets[0].data = series.actual;
          trendChart.data.datasets[1].data = series.plan;
          trendChart.update();
        }
      });
    });

    if (canvas("chart-service")) {
      new Chart(canvas("chart-service"), {
        type: "line",
        data: {
          labels: trend.labels,
          datasets: [
            {
              label: labels.followups,
              data: trend.followup_percent,
              borderColor: COLORS.green,
              backgroundColor: COLORS.green,
              yAxisID: "y",
              spanGaps: true,
              tension: 0.2,
            },
            {
              label: labels.first_response,
              data: trend.first_response_minutes,
              borderColor: COLORS.purple,
              backgroundColor: COLORS.purple,
              yAxisID: "y1",
              spanGaps: true,
              tension: 0.2,
            },
          ],
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom" } },
          scales: {
            y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } },
            y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } },
          },
        },
      });
    }
  }

  // --- network view ------------------------------------------------------------------------
  var network = readJson("kpi-network-data");
  if (network) {
    if (canvas("chart-status")) {
      new Chart(canvas("chart-status"), {
        type: "doughnut",
        data: {
          labels: network.status_labels,
          datasets: [
            {
              data: network.status,
              backgroundColor: [COLORS.green, COLORS.amber, COLORS.red, COLORS.none],
              borderWidth: 1,
            },
          ],
        },
        // Legend below: beside the ring it cut longer labels ("Slightly behi…").
        options: { cutout: "62%", plugins: { legend: { position: "bottom" } } },
      });
    }
    if (canvas("chart-regions")) {
      var thresholds = network.thresholds;
      var flat = function (value) {
        return network.regions.map(function () {
          return value;
        });
      };
      new Chart(canvas("chart-regions"), {
        data: {
          labels: network.regions,
          datasets: [
            {
              type: "bar",
              label: labels.pace,
              data: network.pace,
              backgroundColor: network.pace.map(function (v) {
                return statusColor(v, thresholds);
              }),
              borderRadius: 3,
              order: 2,
            },
            {
              type: "line",
              label: labels.green,
              data: flat(thresholds[0]),
              borderColor: COLORS.green,
              borderDash: [4, 4],
              borderWidth: 1.5,
              pointRadius: 0,
              order: 1,
            },
            {
              type: "line",
              label: labels.amber,
              data: flat(thresholds[1]),
              borderColor: COLORS.amber,
              borderDash: [4, 4],
              borderWidth: 1.5,
              pointRadius: 0,
              order: 1,
            },
          ],
        },
        options: {
          plugins: { legend: { position: "bottom" } },
          scales: {
            y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } },
            x: { grid: { display: false } },
          },
        },
      });
    }
  }
})();
