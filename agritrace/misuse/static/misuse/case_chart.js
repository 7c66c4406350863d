/* The case page's chart: the series from <script id="case-series"> (misuse/series.py) drawn
 * with Chart.js (vendored, window.Chart). Volumes are solid lines, what the code can carry
 * dashed. Without scripts the table of figures beside the canvas says the same. */
(function () {
  'use strict';
  var COLOURS = {
    harvested: '#14532d',
    received: '#1d4f91',
    packed: '#b5470b',
    can_grow: '#5f6b66',
    can_grow_tolerance: '#b42318',
    capacity: '#5f6b66',
    capacity_tolerance: '#b42318'
  };

  var WIDTHS = {harvested: 3, received: 7, packed: 2};

  function draw() {
    var source = document.getElementById('case-series');
    var canvas = document.getElementById('case-chart');
    if (!source || !canvas || typeof window.Chart === 'undefined') { return; }
    var series = JSON.parse(source.textContent);
    if (!series.labels || !series.labels.length) { return; }
    var datasets = series.datasets.map(function (d) {
      var colour = COLOURS[d.key] || '#333';
      return {
        label: d.label,
        data: d.data,
        backgroundColor: colour,
        borderColor: d.key === 'received' ? 'rgba(29, 79, 145, 0.45)' : colour,
        // received and packed often carry the same kilograms: the wider line stays visible
        borderWidth: d.limit ? 2 : (WIDTHS[d.key] || 3),
        borderDash: d.limit ? [6, 4] : [],
        pointRadius: 0,
        pointHoverRadius: 4,
        stepped: false,
        tension: 0,
        fill: false
      };
    });
    var lang = document.documentElement.lang || 'en';
    var number = new Intl.NumberFormat(lang);
    canvas.chart = new window.Chart(canvas, {
      type: 'line',
      data: {labels: series.labels, datasets: datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: {mode: 'index', intersect: false},
        scales: {
          y: {beginAtZero: true, title: {display: true, text: 'kg'},
              ticks: {callback: function (v) { return number.format(v); }}},
          x: {title: {display: false}}
        },
        plugins: {
          legend: {position: 'bottom'},
          tooltip: {callbacks: {label: function (ctx) {
            return ctx.dataset.label + ': ' + number.format(ctx.parsed.y);
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
