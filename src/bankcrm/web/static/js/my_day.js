/* "My day": the tier-mix bar chart. Its data is the page's
   <script type="application/json" id="tier-mix-data"> (no inline script: the
   Content-Security-Policy forbids it). Drawn again after htmx swaps the page's content. */
(function () {
  "use strict";

  function draw() {
    var holder = document.querySelector("[data-chart=tier-mix]");
    var source = document.getElementById("tier-mix-data");
    if (!holder || !source || typeof echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var old = echarts.getInstanceByDom(holder);
    if (old) {
      old.dispose();
    }
    var series = [];
    if (data.previous) {
      series.push({ name: data.previousName, type: "bar", data: data.previous, itemStyle: { color: "#9aa5b1" } });
    }
    series.push({ name: data.latestName, type: "bar", data: data.latest, itemStyle: { color: "#1f6feb" },
      label: { show: true, position: "top" } });
    var chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.tiers, axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    });
  }

  function resize() {
    var holder = document.querySelector("[data-chart=tier-mix]");
    var chart = holder && typeof echarts !== "undefined" && echarts.getInstanceByDom(holder);
    if (chart) {
      chart.resize();
    }
  }

  /* Before htmx swaps the page's content, let the old chart go. Its box has no id on
     purpose: htmx would copy the style ECharts gives it onto the new box while settling,
     an inline style that the Content-Security-Policy refuses. */
  function release() {
    var holder = document.querySelector("[data-chart=tier-mix]");
    var chart = holder && typeof echarts !== "undefined" && echarts.getInstanceByDom(holder);
    if (chart) {
      chart.dispose();
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:beforeSwap", release);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", resize);
})();
