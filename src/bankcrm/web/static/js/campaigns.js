/* The campaign page: the results funnel (targeted, contacted, accepted, declined). Its data
   is the page's <script type="application/json" id="campaign-funnel-data"> (no inline
   script: the Content-Security-Policy forbids it). Drawn again when htmx swaps the results
   in after an outcome is recorded. The chart's box has no id on purpose: htmx would copy
   the style ECharts gives it onto the new box while settling, an inline style the policy
   refuses. */
(function () {
  "use strict";

  var chart = null;

  function draw() {
    var holder = document.querySelector("[data-chart=campaign-funnel]");
    var source = document.getElementById("campaign-funnel-data");
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
    var top = data.stages.length ? data.stages[0].value : 0;
    chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      color: ["#1f6feb", "#6f42c1", "#2da44e", "#cf222e"],
      series: [{
        type: "funnel",
        left: "10%",
        right: "10%",
        top: 10,
        bottom: 10,
        min: 0,
        max: Math.max(top, 1),
        sort: "none",
        gap: 2,
        minSize: "8%",
        label: { show: true, position: "inside", formatter: "{b}: {c}", color: "#fff" },
        data: data.stages
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
