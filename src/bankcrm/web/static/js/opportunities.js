/* The sales pipeline page: open amount and weighted amount per stage (bars), expected
   volume per month of expected close (bars and a line), win rate per product (bars) and
   the lost reasons (a pie). The data is the page's
   <script type="application/json" id="pipeline-data"> (the Content-Security-Policy allows
   no inline script); the chart boxes have no id (see my_day.js on htmx and inline styles). */
(function () {
  "use strict";

  var charts = [];

  function chart(selector, option) {
    var holder = document.querySelector(selector);
    if (!holder || typeof echarts === "undefined") {
      return;
    }
    var one = echarts.init(holder, null, { renderer: "canvas" });
    option.animation = false;
    one.setOption(option);
    charts.push(one);
  }

  function bars(categories, series, percent) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 20, top: 40, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", max: percent ? 100 : null },
      series: series
    };
  }

  function start() {
    var source = document.getElementById("pipeline-data");
    if (!source) {
      return;
    }
    var d = JSON.parse(source.textContent);
    chart("[data-chart=by-stage]", bars(d.stages, [
      { name: d.names.amount, type: "bar", data: d.amount },
      { name: d.names.weighted, type: "bar", data: d.weighted }
    ], false));
    chart("[data-chart=by-month]", bars(d.months, [
      { name: d.names.weighted, type: "bar", data: d.month_weighted },
      { name: d.names.amount, type: "line", data: d.month_amount, symbolSize: 4 }
    ], false));
    chart("[data-chart=win-rate]", bars(d.products, [
      { name: d.names.rate, type: "bar", data: d.win_rate }
    ], true));
    chart("[data-chart=lost-reasons]", {
      tooltip: { trigger: "item" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: d.reasons }]
    });
  }

  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("resize", function () {
    charts.forEach(function (one) {
      one.resize();
    });
  });
})();
