/* Manager scorecards: a radar of each card's attainment per measure (0 to 100) and a bar
   chart of the ranking. The data is the page's <script type="application/json"
   id="scorecards-data"> (no inline script: the Content-Security-Policy forbids it). */
(function () {
  "use strict";

  var charts = [];

  function radar(holder, data, card) {
    var chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {},
      radar: {
        radius: "55%",
        indicator: data.measures.map(function (name) { return { name: name, max: 100 }; }),
        axisName: { color: "#556", fontSize: 9 }
      },
      series: [{
        type: "radar",
        name: card.name,
        areaStyle: { opacity: 0.25 },
        data: [{ name: card.name, value: card.attainment.map(function (v) { return v === null ? 0 : v; }) }]
      }]
    });
    return chart;
  }

  function ranking(holder, data) {
    var chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 10, right: 30, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", inverse: true, data: data.ranking.names },
      series: [{ type: "bar", data: data.ranking.totals, itemStyle: { color: "#1f6feb" },
        label: { show: true, position: "right" } }]
    });
    return chart;
  }

  function draw() {
    var source = document.getElementById("scorecards-data");
    if (!source || typeof echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart=scorecard]").forEach(function (holder) {
      var card = data.cards[Number(holder.getAttribute("data-index"))];
      if (card) {
        charts.push(radar(holder, data, card));
      }
    });
    var bars = document.querySelector("[data-chart=ranking]");
    if (bars) {
      charts.push(ranking(bars, data));
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
