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

  var kinds = { size: sizePlot, time: timePlot, compare: comparePlot };
  var cache = {};
  document.querySelectorAll(".plot[data-src]").forEach(function (div) {
    var src = div.getAttribute("data-src");
    cache[src] = cache[src] || fetch(src, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); });
    cache[src].then(function (data) {
      var drawn = kinds[div.getAttribute("data-kind")](data);
      Plotly.newPlot(div, drawn[0], Object.assign({}, layoutBase, drawn[1]),
                     { responsive: true, displaylogo: false });
      div.setAttribute("data-drawn", "true");
    });
  });
})();
