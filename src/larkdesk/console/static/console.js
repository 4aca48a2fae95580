// larkdesk console: charts (Apache ECharts) with drill-down, and saved views. Filtering,
// sorting and paging the tickets go through htmx (hx-boost): the page's body is swapped
// and the URL pushed, so the view stays shareable.
// Data comes from <script type="application/json" id="chart-data"> (JSON, never HTML);
// every text is set with textContent, never innerHTML.
(function () {
  "use strict";

  function go(url) { if (url) { window.location.href = url; } }

  function bars(el, spec, horizontal) {
    if (!el) { return; }
    var chart = echarts.init(el);
    var cat = { type: "category", data: spec.names };
    var val = { type: "value", minInterval: 1 };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      grid: { left: horizontal ? 100 : 40, right: 16, top: 16, bottom: 30 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: [{ type: "bar", data: spec.counts }]
    });
    chart.on("click", function (p) { go(spec.links[p.dataIndex]); });
    return chart;
  }

  function charts() {
    var node = document.getElementById("chart-data");
    if (!node || typeof echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var made = [];
    var trendEl = document.getElementById("chart-trend");
    if (trendEl) {
      var trend = echarts.init(trendEl);
      trend.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { data: data.trend.labels, top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 30 },
        xAxis: { type: "category", data: data.trend.days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.trend.labels[0], type: "bar", data: data.trend.created },
          { name: data.trend.labels[1], type: "line", data: data.trend.bot }
        ]
      });
      trend.on("click", function (p) {
        go(p.seriesIndex === 0 ? data.trend.links[p.dataIndex] : data.trend.bot_links[p.dataIndex]);
      });
      made.push(trend);
    }
    var heatEl = document.getElementById("chart-heat");
    if (heatEl) {
      var heat = echarts.init(heatEl);
      var top = 1;
      data.heat.data.forEach(function (d) { top = Math.max(top, d[2]); });
      var hours = [];
      for (var h = 0; h < 24; h++) { hours.push(String(h)); }
      heat.setOption({
        animation: false,
        tooltip: { position: "top" },
        grid: { left: 50, right: 16, top: 10, bottom: 60 },
        xAxis: { type: "category", data: hours },
        yAxis: { type: "category", data: data.heat.weekdays },
        visualMap: { min: 0, max: top, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
        series: [{ type: "heatmap", data: data.heat.data }]
      });
      heat.on("click", function (p) {
        go(data.heat.links[p.data[1] + "," + p.data[0]]);
      });
      made.push(heat);
    }
    made.push(bars(document.getElementById("chart-scores"), data.scores, false));
    made.push(bars(document.getElementById("chart-tags"), data.tags, true));
    made.push(bars(document.getElementById("chart-channels"), data.channels, false));
    made.push(bars(document.getElementById("chart-cities"), data.cities, true));
    window.addEventListener("resize", function () {
      made.forEach(function (c) { if (c) { c.resize(); } });
    });
    document.body.setAttribute("data-charts", "ready");
  }

  var KEY = "larkdesk.console.views";

  function savedViews() {
    var button = document.getElementById("save-view");
    var list = document.getElementById("saved-views");
    if (!button || !list) { return; }
    function load() {
      try { return JSON.parse(window.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
    }
    function show() {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      load().forEach(function (v) {
        if (v.url.indexOf(window.location.pathname) !== 0) { return; }
        var a = document.createElement("a");
        a.href = v.url;
        a.textContent = v.name;
        a.className = "saved-view";
        list.appendChild(a);
        list.appendChild(document.createTextNode(" "));
      });
    }
    button.addEventListener("click", function () {
      var name = window.prompt(button.getAttribute("data-label") || "View", "");
      if (!name) { return; }
      var views = load().filter(function (v) { return v.name !== name; });
      views.push({ name: name, url: window.location.pathname + window.location.search });
      window.localStorage.setItem(KEY, JSON.stringify(views));
      show();
    });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () { charts(); savedViews(); });
  // htmx swaps the tickets page's body when a filter, a sort or a page changes (hx-boost):
  // the saved views' button is new then
  document.addEventListener("htmx:afterSettle", function () { savedViews(); });
})();
