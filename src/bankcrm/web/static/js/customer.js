/* The customer page's charts: the balance trend per account and the relationship graph.
   Data comes from <script type="application/json" id="customer-data"> (the page's
   Content-Security-Policy runs no inline script). Tooltips are drawn on the canvas
   (renderMode "richText"): ECharts' HTML tooltips carry inline styles, which the policy
   refuses. */
(function () {
  "use strict";

  var charts = [];

  function amounts(data) {
    var format = new Intl.NumberFormat(data.locale, {
      style: "currency",
      currency: data.currency,
      maximumFractionDigits: 0,
    });
    return function (value) {
      return format.format(value);
    };
  }

  function balanceTrend(element, data) {
    var money = amounts(data);
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: money },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true, axisLabel: { formatter: money } },
      series: data.balances.map(function (account) {
        return {
          name: account.account,
          type: "line",
          step: "end",
          symbolSize: 6,
          data: account.points,
        };
      }),
    });
    return chart;
  }

  function relationshipGraph(element, data) {
    var money = amounts(data);
    var nodes = [{ id: "self", name: data.self, symbolSize: 44, category: 0 }];
    var links = [];
    data.relationships.forEach(function (link, i) {
      var id = "r" + i;
      nodes.push({
        id: id,
        name: link.other_name || data.hidden,
        symbolSize: 30,
        category: link.other_id ? 1 : 2,
        value: link.loans,
      });
      links.push({
        source: "self",
        target: id,
        label: { show: true, formatter: data.kinds[link.kind] || link.kind },
      });
    });
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {
        renderMode: "richText",
        formatter: function (p) {
          return p.dataType === "node" && p.data.value !== undefined
            ? p.name + ": " + money(p.data.value)
            : p.name;
        },
      },
      series: [
        {
          type: "graph",
          layout: "circular",
          circular: { rotateLabel: false },
          roam: false,
          label: { show: true, position: "bottom", width: 120, overflow: "truncate" },
          edgeLabel: { fontSize: 11 },
          categories: [{ name: "self" }, { name: "visible" }, { name: "hidden" }],
          lineStyle: { width: 2, opacity: 0.7 },
          data: nodes,
          links: links,
        },
      ],
    });
    return chart;
  }

  function draw() {
    var source = document.getElementById("customer-data");
    if (!source || !window.echarts) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var trend = document.getElementById("balance-chart");
    if (trend && data.balances.length) {
      charts.push(balanceTrend(trend, data));
    }
    var graph = document.getElementById("relationship-chart");
    if (graph && data.relationships.length) {
      charts.push(relationshipGraph(graph, data));
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
