/* The service-quality page: cases per month stacked by kind (bars) and complaints per
   month by topic (stacked lines). The data is the page's
   <script type="application/json" id="quality-data"> (the Content-Security-Policy allows
   no inline script). The chart boxes have no id: see my_day.js on htmx and inline styles. */
(function () {
  "use strict";

  var charts = [];

  function draw(holder, series, months, type) {
    if (!holder || typeof echarts === "undefined") {
      return;
    }
    var chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 30, top: 40, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: months, boundaryGap: type === "bar" },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map(function (s) {
        var one = { name: s.name, type: type, stack: "all", data: s.data };
        if (type === "line") {
          one.areaStyle = {};
          one.symbolSize = 4;
        }
        return one;
      })
    });
    charts.push(chart);
  }

  function start() {
    var source = document.getElementById("quality-data");
    if (!source) {
      return;
    }
    var data = JSON.parse(source.textContent);
    draw(document.querySelector("[data-chart=cases-by-kind]"), data.kinds, data.months, "bar");
    draw(document.querySelector("[data-chart=complaint-topics]"), data.topics, data.months, "line");
  }

  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
