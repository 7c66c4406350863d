/* The achieved-against-target chart: the series from <script id="achieved-series">
 * (reports/achieved.py chart_series) drawn with Chart.js (vendored by the misuse app,
 * window.Chart) as horizontal bars of the percentage achieved, 100 % marked. The table above
 * the chart says the same without scripts. */
(function () {
  'use strict';

  function draw() {
    var source = document.getElementById('achieved-series');
    var canvas = document.getElementById('achieved-chart');
    if (!source || !canvas || typeof window.Chart === 'undefined') { return; }
    var series = JSON.parse(source.textContent);
    if (!series.labels || !series.labels.length) { return; }
    var lang = document.documentElement.lang || 'en';
    var number = new Intl.NumberFormat(lang, {maximumFractionDigits: 1});
    var colours = series.percent.map(function (p) {
      if (p === null) { return '#9aa5a0'; }
      return p >= 100 ? '#14532d' : (p >= 50 ? '#2f6f3e' : '#b5470b');
    });
    canvas.chart = new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: series.labels,
        datasets: [{
          label: '%',
          data: series.percent.map(function (p) { return p === null ? 0 : p; }),
          backgroundColor: colours
        }]
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {beginAtZero: true, suggestedMax: 100,
              ticks: {callback: function (v) { return number.format(v) + ' %'; }}}
        },
        plugins: {
          legend: {display: false},
          tooltip: {callbacks: {label: function (ctx) {
            var i = ctx.dataIndex;
            return number.format(series.achieved[i]) + ' / ' + number.format(series.target[i]) +
              ' (' + number.format(ctx.parsed.x) + ' %)';
          }}}
        }
      }
    });
    canvas.setAttribute('data-drawn', 'true');
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', draw);
  } else {
    draw();
  }
}());
