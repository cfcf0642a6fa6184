/* FlowPilot analytics: period switch, flow-table sorting and charts (plotly.js, local copy).
   The numbers are in the HTML already; this script only draws from the embedded JSON.
   Location hash: #<period>[:<sort>], e.g. #7d or #90d:usage. */
(function () {
  "use strict";
  var PERIODS = ["7d", "30d", "90d"];
  var SORTS = ["quality", "usage", "success"];
  var DASH = "\u2014";
  var dataElement = document.getElementById("dashboard-data");
  if (!dataElement) { return; }
  var DATA = JSON.parse(dataElement.textContent);
  var drawn = {};
  var CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };
  var BASE = { margin: { l: 56, r: 24, t: 16, b: 40 }, font: { size: 12 },
               paper_bgcolor: "#fff", plot_bgcolor: "#fff" };

  function layout(extra) {
    var out = {}, k;
    for (k in BASE) { out[k] = BASE[k]; }
    for (k in extra) { out[k] = extra[k]; }
    return out;
  }
  function fixed1(v) {
    return v.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  function format(kind, v) {
    if (v === null || v === undefined) { return DASH; }
    if (kind === "rate") { return (v * 100).toFixed(1) + "%"; }
    if (kind === "count") { return Math.round(v).toLocaleString("en-US"); }
    return fixed1(v);
  }
  function parseHash() {
    var parts = (window.location.hash || "").replace(/^#/, "").split(":");
    var fallback = document.body.getAttribute("data-default-period") || "30d";
    return { period: PERIODS.indexOf(parts[0]) >= 0 ? parts[0] : fallback,
             sort: SORTS.indexOf(parts[1]) >= 0 ? parts[1] : "quality" };
  }

  function plots(period) {
    var d = DATA[period], p = period, jobs = [], el;
    el = document.getElementById("trend-" + p);
    if (el) {
      jobs.push(Plotly.newPlot(el, [{
        type: "scatter", mode: "lines+markers", x: d.trend.x, y: d.trend.y,
        customdata: d.trend.n, line: { color: "#2f6fdf" },
        hovertemplate: "%{x}<br>MTTR %{y:,.1f} min<br>%{customdata} resolved<extra></extra>"
      }], layout({ yaxis: { title: { text: "minutes" }, rangemode: "tozero" } }), CONFIG));
    }
    el = document.getElementById("domains-" + p);
    if (el) {
      var cols = d.domains.columns, maxes = cols.map(function () { return 0; });
      d.domains.values.forEach(function (row) {
        row.forEach(function (v, j) { if (v !== null && v > maxes[j]) { maxes[j] = v; } });
      });
      var z = d.domains.values.map(function (row) {
        return row.map(function (v, j) {
          if (v === null) { return null; }
          return d.domains.kinds[j] === "rate" ? v : (maxes[j] > 0 ? v / maxes[j] : 0);
        });
      });
      var text = d.domains.values.map(function (row) {
        return row.map(function (v, j) { return format(d.domains.kinds[j], v); });
      });
      jobs.push(Plotly.newPlot(el, [{
        type: "heatmap", x: cols, y: d.domains.rows, z: z, text: text,
        texttemplate: "%{text}", hovertemplate: "%{y} · %{x}: %{text}<extra></extra>",
        colorscale: "Blues", reversescale: true, zmin: 0, zmax: 1, showscale: false, xgap: 2, ygap: 2
      }], layout({ margin: { l: 120, r: 16, t: 16, b: 40 },
                   yaxis: { autorange: "reversed", automargin: true } }), CONFIG));
    }
    el = document.getElementById("confidence-" + p);
    if (el) {
      jobs.push(Plotly.newPlot(el, [
        { type: "bar", name: "sessions", x: d.confidence.tiers, y: d.confidence.sessions,
          marker: { color: "#9db8ef" } },
        { type: "bar", name: "resolved", x: d.confidence.tiers, y: d.confidence.resolved,
          marker: { color: "#2f6fdf" } }
      ], layout({ barmode: "group", legend: { orientation: "h" } }), CONFIG));
    }
    el = document.getElementById("funnel-" + p);
    if (el) {
      jobs.push(Plotly.newPlot(el, [{
        type: "funnel", y: d.funnel.stages, x: d.funnel.values, textinfo: "value+percent initial",
        marker: { color: ["#2f6fdf", "#4f86e6", "#7aa3ec", "#a9c3f3"] }
      }], layout({ margin: { l: 130, r: 24, t: 16, b: 24 } }), CONFIG));
    }
    el = document.getElementById("daily-" + p);
    if (el) {
      jobs.push(Plotly.newPlot(el, [
        { type: "bar", name: "time entries", x: d.daily.x, y: d.daily.entries,
          marker: { color: "#9db8ef" } },
        { type: "scatter", mode: "lines+markers", name: "hours", x: d.daily.x, y: d.daily.hours,
          yaxis: "y2", line: { color: "#c2410c" } }
      ], layout({ legend: { orientation: "h" }, margin: { l: 56, r: 56, t: 16, b: 40 },
                  yaxis: { title: { text: "entries" } },
                  yaxis2: { title: { text: "hours" }, overlaying: "y", side: "right",
                            rangemode: "tozero" } }), CONFIG));
    }
    el = document.getElementById("history-" + p);
    if (el && d.history) {
      d.history.series.forEach(function (s) {
        var box = el.querySelector('[data-series="' + s.column + '"]');
        jobs.push(Plotly.newPlot(box, [{
          type: "scatter", mode: "lines+markers", x: d.history.dates, y: s.values,
          line: { color: "#2f6fdf" }, name: s.label
        }], layout({ title: { text: s.label, font: { size: 12 } },
                     margin: { l: 48, r: 12, t: 28, b: 32 },
                     yaxis: { tickformat: s.kind === "rate" ? ".0%" : "" },
                     xaxis: { type: "category" } }), CONFIG));
      });
    }
    return jobs;
  }

  function sortFlows(period, key) {
    var table = document.getElementById("flows-" + period);
    if (!table) { return; }
    var attr = { quality: "data-quality", usage: "data-usage", success: "data-success" }[key];
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var av = a.getAttribute(attr), bv = b.getAttribute(attr);
      var an = av === "" ? -Infinity : Number(av), bn = bv === "" ? -Infinity : Number(bv);
      if (an !== bn) { return bn - an; }
      return Number(a.getAttribute("data-rank")) - Number(b.getAttribute("data-rank"));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.querySelectorAll("a.sort"), function (a) {
      a.classList.toggle("active", a.getAttribute("data-sort") === key);
    });
    table.setAttribute("data-sorted-by", key);
  }

  function show() {
    var state = parseHash();
    document.body.removeAttribute("data-ready");
    Array.prototype.forEach.call(document.querySelectorAll("section.period"), function (s) {
      s.classList.toggle("active", s.getAttribute("data-period") === state.period);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".switch a"), function (a) {
      a.classList.toggle("active", a.getAttribute("data-period") === state.period);
    });
    sortFlows(state.period, state.sort);
    var jobs = [];
    if (!drawn[state.period]) {
      drawn[state.period] = true;
      jobs = plots(state.period);
    }
    Promise.all(jobs).then(function () {
      document.body.setAttribute("data-ready", state.period);
    }, function (err) {
      console.error("chart failed", err);
    });
  }

  window.addEventListener("hashchange", show);
  show();
})();
