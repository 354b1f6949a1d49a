// The device page's health history as charts: the score, then one small chart per counter with its
// projection dashed to the failing range. The data is the page's <script type="application/json">;
// the table beside it shows the same numbers, so the charts only add, and the table folds away.
(function () {
  'use strict';

  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

  function chart(host, title, datasets, yOptions) {
    const xs = datasets.flatMap((d) => d.data.map((p) => p.x));
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    const box = document.createElement('div');
    box.className = 'chart-box';
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', title);
    box.appendChild(canvas);
    figure.append(caption, box);
    host.appendChild(figure);
    const grid = css('--line', '#d9dee3');
    const text = css('--muted', '#5f6b76');
    return new window.Chart(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        plugins: {
          legend: { display: datasets.length > 1, labels: { color: text, boxWidth: 16, boxHeight: 2 } },
          tooltip: { callbacks: { title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString() : '') } },
        },
        scales: {
          // Linear milliseconds with dates as labels: Chart.js's time scale would need a date adapter.
          x: { type: 'linear', min: Math.min(...xs), max: Math.max(...xs), ticks: { color: text, maxTicksLimit: 5, includeBounds: false, maxRotation: 0, callback: (v) => day(v) }, grid: { color: grid } },
          y: Object.assign({ ticks: { color: text, precision: 0 }, grid: { color: grid } }, yOptions),
        },
      },
    });
  }

  const points = (pairs) => pairs.map(([x, y]) => ({ x, y }));

  function draw() {
    const source = document.getElementById('health-trends-data');
    const host = document.getElementById('health-charts');
    if (!source || !host || host.dataset.drawn || !window.Chart) return;
    // A swapped-in fragment leaves the old canvases detached: free their charts.
    for (const c of Object.values(window.Chart.instances)) if (!c.canvas.isConnected) c.destroy();
    const data = JSON.parse(source.textContent);
    const accent = css('--accent', '#2463eb');
    const bad = css('--bad', '#b42318');
    host.dataset.drawn = '1';
    host.hidden = false;
    if (data.score.length) {
      chart(host, 'Health score', [{ label: 'score', data: points(data.score), borderColor: accent, backgroundColor: accent, pointRadius: 2 }], { min: 0, max: 100 });
    }
    for (const s of data.series) {
      const sets = [{ label: s.label, data: points(s.points), borderColor: accent, backgroundColor: accent, pointRadius: 2 }];
      if (s.projection && s.projection.line) {
        sets.push({ label: `projected: ${s.projection.failingAt} in about ${s.projection.days} days`, data: points(s.projection.line), borderColor: bad, backgroundColor: bad, borderDash: [6, 4], pointRadius: 0 });
      }
      chart(host, s.label, sets, s.metric === 'temperature_c' ? {} : { beginAtZero: true });
    }
    const numbers = host.parentElement.querySelector('details.numbers');
    if (numbers) numbers.open = false;
  }

  document.addEventListener('DOMContentLoaded', draw);
  // "Check now" by htmx replaces the health fragment, charts data included.
  document.addEventListener('htmx:afterSettle', draw);
})();
