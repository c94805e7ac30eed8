/* The management dashboard's charts. Their data (already in the page's language) is the
   page's <script type="application/json" id="dashboard-data"> block: the
   Content-Security-Policy allows no inline script. Every chart has a table of its
   numbers next to it, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  var BLUE = "#1f6feb";
  var GREY = "#9aa5b1";
  var RED = "#d1242f";

  function holder(name) {
    return document.querySelector("[data-chart=" + name + "]");
  }

  function draw(name, option) {
    var box = holder(name);
    if (!box) {
      return;
    }
    var chart = echarts.init(box, null, { renderer: "canvas" });
    option.animation = false;
    chart.setOption(option);
  }

  function bars(name, labels, values, color) {
    draw(name, {
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 10, top: 20, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 5 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: values, itemStyle: { color: color || BLUE } }]
    });
  }

  function lorenz(data) {
    if (!data) {
      return;
    }
    draw("lorenz", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 45, right: 15, top: 40, bottom: 45 },
      xAxis: { type: "value", min: 0, max: 100, name: data.xName, nameLocation: "middle", nameGap: 28 },
      yAxis: {
        type: "value",
        min: function (v) { return Math.min(0, Math.floor(v.min)); },
        max: function (v) { return Math.max(100, Math.ceil(v.max)); }
      },
      series: [
        { name: data.curveName, type: "line", data: data.curve, showSymbol: false, lineStyle: { color: BLUE, width: 3 }, itemStyle: { color: BLUE } },
        { name: data.equalityName, type: "line", data: [[0, 0], [100, 100]], showSymbol: false,
          lineStyle: { color: GREY, type: "dashed" }, itemStyle: { color: GREY } },
        { name: data.line80Name, type: "line", data: [[0, 80], [data.shareFor80, 80], [data.shareFor80, 0]],
          showSymbol: false, lineStyle: { color: RED, type: "dotted" }, itemStyle: { color: RED } }
      ]
    });
  }

  function migration(data) {
    if (!data) {
      return;
    }
    draw("migration", {
      tooltip: { position: "top" },
      grid: { left: 10, right: 10, top: 30, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: data.to, name: data.toName, nameLocation: "middle", nameGap: 25, splitArea: { show: true } },
      yAxis: { type: "category", data: data.from, name: data.fromName, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, data.max), calculable: false, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: 120, inRange: { color: ["#eef4ff", BLUE] } },
      series: [{ type: "heatmap", data: data.cells, label: { show: true } }]
    });
  }

  function risk(data) {
    draw("risk", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 10, right: 10, top: 40, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 4 ? 30 : 0 } },
      yAxis: [{ type: "value" }, { type: "value", min: 0, splitLine: { show: false } }],
      series: [
        { name: data.valueAtRiskName, type: "bar", data: data.valueAtRisk, itemStyle: { color: BLUE } },
        { name: data.churnName, type: "line", yAxisIndex: 1, data: data.churn, itemStyle: { color: RED } }
      ]
    });
  }

  function complaints(data) {
    draw("complaints", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 10, right: 10, top: 40, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.months, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "topics", data: s.data };
      })
    });
  }

  function demand(data) {
    draw("demand", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 10, right: 15, top: 40, bottom: 10, containLabel: true },
      yAxis: { type: "category", data: data.products, inverse: true, axisLabel: { width: 110, overflow: "truncate" } },
      xAxis: { type: "value" },
      series: [
        { name: data.expectedName, type: "bar", data: data.expected, itemStyle: { color: BLUE } },
        { name: data.lastQuarterName, type: "bar", data: data.lastQuarter, itemStyle: { color: GREY } },
        { name: data.yearAgoName, type: "bar", data: data.yearAgo, itemStyle: { color: "#c9d1d9" } }
      ]
    });
  }

  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    lorenz(data.lorenz);
    bars("tiers", data.tiers.labels, data.tiers.values);
    bars("bands", data.bands.labels, data.bands.values, GREY);
    migration(data.migration);
    bars("clv", data.clv.labels, data.clv.values);
    risk(data.branches);
    complaints(data.complaints);
    demand(data.demand);
  }

  function resize() {
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var chart = typeof echarts !== "undefined" && echarts.getInstanceByDom(box);
      if (chart) {
        chart.resize();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
  window.addEventListener("resize", resize);
})();
