/* The campaign page: the results as bars (targeted, contacted, accepted, declined): the
   last two split the answers, so they are not a funnel's narrowing steps. Its data
   is the page's <script type="application/json" id="campaign-results-data"> (no inline
   script: the Content-Security-Policy forbids it). Drawn again when htmx swaps the results
   in after an outcome is recorded. The chart's box has no id on purpose: htmx would copy
   the style ECharts gives it onto the new box while settling, an inline style the policy
   refuses. */
(function () {
  "use strict";

  var chart = null;

  function draw() {
    var holder = document.querySelector("[data-chart=campaign-results]");
    var source = document.getElementById("campaign-results-data");
    if (!holder || !source || typeof echarts === "undefined") {
      return;
    }
    if (chart && chart.getDom() === holder) {
      return; /* already drawn in this box */
    }
    if (chart) {
      chart.dispose();
    }
    var data = JSON.parse(source.textContent);
    var colours = ["#1f6feb", "#6f42c1", "#2da44e", "#cf222e"];
    chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.stages.map(function (s) { return s.name; }),
        axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        type: "bar",
        barMaxWidth: 80,
        label: { show: true, position: "top" },
        data: data.stages.map(function (s, i) {
          return { value: s.value, itemStyle: { color: colours[i % colours.length] } };
        })
      }]
    });
  }

  function resize() {
    if (chart) {
      chart.resize();
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", resize);
})();
