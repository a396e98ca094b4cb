// Draws each <div class="plot" data-src=... data-kind=...> from its JSON twin with plotly.
(function () {
  "use strict";
  var layoutBase = { margin: { t: 20, r: 20 }, hovermode: "closest", height: 420 };

  function sizePlot(data) {
    var byType = {};
    data.scatter.forEach(function (p) {
      (byType[p.type] = byType[p.type] || []).push(p);
    });
    var traces = Object.keys(byType).map(function (type) {
      var pts = byType[type];
      return {
        type: "scatter", mode: "markers", name: pts[0].symbol + " " + type,
        x: pts.map(function (p) { return p.params_b; }),
        y: pts.map(function (p) { return p.average; }),
        text: pts.map(function (p) { return p.model; }),
        hovertemplate: "%{text}<br>%{x:.2f} B · %{y:.2f}<extra></extra>",
        marker: { size: 6, opacity: 0.6 }
      };
    });
    traces.push({
      type: "scatter", mode: "lines+markers", name: "Pareto front", line: { shape: "hv" },
      x: data.pareto_front.map(function (p) { return p.params_b; }),
      y: data.pareto_front.map(function (p) { return p.average; }),
      text: data.pareto_front.map(function (p) { return p.model; }),
      hovertemplate: "%{text}<br>%{x:.2f} B · %{y:.2f}<extra>front</extra>"
    });
    return [traces, { xaxis: { title: { text: "#Params (B)" }, type: "log" },
                      yaxis: { title: { text: "Average" } } }];
  }

  function timePlot(data) {
    var traces = Object.keys(data.best_over_time).map(function (type) {
      var pts = data.best_over_time[type];
      return {
        type: "scatter", mode: "lines+markers", line: { shape: "hv" },
        name: (pts.length ? pts[0].symbol + " " : "") + type,
        x: pts.map(function (p) { return p.submitted; }),
        y: pts.map(function (p) { return p.average; }),
        text: pts.map(function (p) { return p.model; }),
        hovertemplate: "%{text}<br>%{x} · %{y:.2f}<extra></extra>"
      };
    });
    return [traces, { xaxis: { title: { text: "Submitted" } },
                      yaxis: { title: { text: "Best average so far" } } }];
  }

  function comparePlot(data) {
    var traces = data.models.map(function (m) {
      return {
        type: "bar", name: m.model,
        x: data.benchmarks.map(function (b) { return b.display_name; }),
        y: data.benchmarks.map(function (b) {
          var s = m.scores[b.name];
          return s ? s.normalized : null;
        })
      };
    });
    return [traces, { barmode: "group", yaxis: { title: { text: "Normalized score" } } }];
  }

  function modelPlot(data, div) {
    var id = Number(div.getAttribute("data-evaluation"));
    var e = data.evaluations.filter(function (x) { return x.id === id; })[0];
    var names = e.benchmarks.map(function (b) { return b.display_name; });
    var medians = e.benchmarks.map(function (b) {
      var m = e.board.medians[b.name];
      return m === undefined ? null : m;
    });
    var colour = palette();
    return [[
      { type: "bar", name: "evaluation #" + e.id, x: names,
        y: e.benchmarks.map(function (b) { return b.normalized; }),
        marker: { color: colour.link }, hovertemplate: "%{x}: %{y:.2f}<extra></extra>" },
      { type: "bar", name: "median of " + e.board.name, x: names, y: medians,
        marker: { color: colour.muted }, hovertemplate: "%{x}: median %{y:.2f}<extra></extra>" }
    ], { barmode: "group", height: 360, margin: { t: 50, r: 20 },
         legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
         xaxis: { automargin: true },
         yaxis: { title: { text: "Normalized score" }, rangemode: "tozero" } }];
  }

  // The page's colours (style.css variables), so that a chart reads in the dark theme too.
  function palette() {
    var style = getComputedStyle(document.documentElement);
    function get(name) { return style.getPropertyValue(name).trim(); }
    return { fg: get("--fg"), line: get("--line"), link: get("--link"), muted: get("--muted") };
  }

  function themed() {
    var c = palette();
    return {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", "font.color": c.fg,
      "xaxis.gridcolor": c.line, "yaxis.gridcolor": c.line,
      "xaxis.zerolinecolor": c.line, "yaxis.zerolinecolor": c.line
    };
  }

  var kinds = { size: sizePlot, time: timePlot, compare: comparePlot, model: modelPlot };
  var cache = {};
  var drawn = [];
  document.querySelectorAll(".plot[data-src]").forEach(function (div) {
    var src = div.getAttribute("data-src");
    cache[src] = cache[src] || fetch(src, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); });
    cache[src].then(function (data) {
      var plot = kinds[div.getAttribute("data-kind")](data, div);
      Plotly.newPlot(div, plot[0], Object.assign({}, layoutBase, plot[1]),
                     { responsive: true, displaylogo: false })
        .then(function () { return Plotly.relayout(div, themed()); })
        .then(function () {
          drawn.push(div);
          div.setAttribute("data-drawn", "true");
        });
    });
  });

  // The theme switched (the header's choice, or the system's): recolour what is drawn.
  function recolour() {
    var theme = themed();
    var c = palette();
    drawn.forEach(function (div) {
      Plotly.relayout(div, theme);
      if (div.getAttribute("data-kind") === "model") {
        Plotly.restyle(div, { "marker.color": [c.link, c.muted] });
      }
    });
  }
  new MutationObserver(recolour).observe(document.documentElement,
                                         { attributes: true, attributeFilter: ["data-theme"] });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", recolour);
})();
