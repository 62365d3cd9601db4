// plot.js: the live training chart. Chart.js (self-hosted at vendor/chart.umd.min.js, a classic
// script defining the global `Chart`) is loaded on first use, when the first training run starts,
// not at start-up; a failed load shows why, training goes on, and the next run tries again.
// Loss on the left axis, accuracy on the right; x is the epoch (fractional while an epoch runs)
// or, with setAxis('batch'), the batch number. Animations are off and redraws are batched into at
// most one per animation frame, so live updates cost little on the main thread.

import { num, onLanguageChange, percent, setText, t } from './i18n/i18n.js';
import { onThemeChange, themeColour } from './palette.js';

// the lines' and the text's colours: style.css's custom properties, so each theme has its own
const LINE_VARS = ['--chart-loss', '--chart-val-loss', '--chart-acc', '--chart-val-acc'];

/** Point the chart's colours at the current theme (lines, ticks, titles, legend, grid). */
function applyTheme(config) {
  config.data.datasets.forEach((d, i) => {
    d.borderColor = d.backgroundColor = themeColour(LINE_VARS[i]);
  });
  const text = themeColour('--muted');
  const grid = themeColour('--line', '#dfe3ec');
  config.options.plugins.legend.labels.color = text;
  for (const axis of Object.values(config.options.scales)) {
    (axis.ticks ??= {}).color = text;
    (axis.title ??= {}).color = text;
    (axis.grid ??= {}).color = grid;
  }
}

let chartLib = null; // the Promise of window.Chart (one load per page; a failed load may be retried)

/** Load Chart.js with a <script> element (CSP script-src 'self' allows it); resolves to `Chart`. */
export function loadChartJs(url = new URL('../vendor/chart.umd.min.js', import.meta.url)) {
  if (typeof window.Chart === 'function') return Promise.resolve(window.Chart);
  if (!chartLib) {
    const script = document.createElement('script');
    chartLib = new Promise((resolve, reject) => {
      script.src = url.href;
      script.onload = () => (typeof window.Chart === 'function' ? resolve(window.Chart) : reject(new Error('it defines no Chart')));
      script.onerror = () => reject(new Error('it could not be fetched'));
      document.head.append(script);
    }).catch((err) => {
      chartLib = null;
      script.remove();
      throw new Error(`The chart library (${url.pathname}) did not load (${err.message}), so the live chart is not shown. ` +
        'Training still works; if you are offline, the chart comes back online; otherwise rebuild the site with "python3 build.py".');
    });
  }
  return chartLib;
}

/**
 * The Train panel's chart on `canvas`: {reset(epochs), addBatch, addEpoch, setAxis, chart}.
 * The points are kept from the first call; the Chart.js chart is created by the first reset()
 * (the start of a run), which loads the library (`load`, for tests). `fallbackEl` says why the
 * chart is missing if the library does not load.
 */
export function createTrainingChart(canvas, fallbackEl, { load = loadChartJs } = {}) {
  const ds = (key, axis, dashed) => ({
    key,
    label: t(key),
    data: [],
    yAxisID: axis,
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : [],
    pointRadius: dashed ? 3 : 0,
    tension: 0.2,
    spanGaps: true,
  });
  const config = {
    type: 'line',
    data: {
      datasets: [
        ds('chart.trainLoss', 'loss', false),
        ds('chart.valLoss', 'loss', true),
        ds('chart.trainAccuracy', 'acc', false),
        ds('chart.valAccuracy', 'acc', true),
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          title: { display: true, text: '' }, // the axis' words: relabel()
          ticks: { precision: 0 },
        },
        loss: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          title: { display: true, text: '' },
        },
        acc: {
          type: 'linear',
          position: 'right',
          min: 0,
          max: 1,
          title: { display: true, text: '' },
          grid: { drawOnChartArea: false },
          ticks: { callback: (v) => percent(v, 0) },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14 } },
        tooltip: {
          callbacks: {
            label: (c) =>
              c.dataset.yAxisID === 'acc'
                ? `${c.dataset.label}: ${percent(c.parsed.y)}`
                : `${c.dataset.label}: ${num(c.parsed.y, { minimumFractionDigits: 4, maximumFractionDigits: 4 })}`,
          },
        },
      },
    },
  };
  applyTheme(config);
  let chart = null;
  let loading = null;
  onThemeChange(() => {
    applyTheme(config); // the chart keeps config's objects: update() reads the new colours
    if (chart) chart.update('none');
  });
  canvas.hidden = true; // until the first run: a line of text in its place
  if (fallbackEl) {
    fallbackEl.hidden = false;
    setText(fallbackEl, 'chart.empty');
  }
  const create = () => {
    if (chart || loading) return;
    loading = load().then((Chart) => {
      canvas.hidden = false;
      chart = new Chart(canvas, config); // shares config.data: the points gathered meanwhile show
      api.chart = chart;
      if (fallbackEl) fallbackEl.hidden = true;
    }, (err) => {
      if (fallbackEl) {
        fallbackEl.hidden = false;
        setText(fallbackEl, 'chart.notLoaded', {}, err.message);
      }
    }).finally(() => {
      loading = null;
    });
  };

  let queued = false;
  const redraw = () => {
    if (queued || !chart) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      chart.update('none');
    });
  };
  const [trainLoss, valLoss, trainAcc, valAcc] = config.data.datasets;
  /** The chart's words in the page's language (again after a switch). */
  const relabel = () => {
    for (const d of config.data.datasets) d.label = t(d.key);
    const scales = (chart ? chart.options : config.options).scales;
    scales.loss.title.text = t('chart.loss');
    scales.acc.title.text = t('chart.accuracy');
    applyAxis();
    if (chart) chart.update('none');
  };
  let axis = 'epoch';
  let maxEpochs;
  let batchesPerEpoch = null;
  // each point keeps both positions: e (epochs, fractional) and b (batches); x shows one of them
  const point = (e, b, y) => ({ x: axis === 'batch' ? b : e, y, e, b });
  const applyAxis = () => {
    const x = (chart ? chart.options : config.options).scales.x;
    x.title.text = t(axis === 'batch' ? 'chart.batch' : 'chart.epoch');
    x.max = axis === 'batch' ? (maxEpochs && batchesPerEpoch ? maxEpochs * batchesPerEpoch : undefined) : maxEpochs;
    for (const d of config.data.datasets) for (const p of d.data) p.x = axis === 'batch' ? p.b : p.e;
  };

  relabel();
  onLanguageChange(relabel);
  const api = {
    chart,
    reset(epochs) {
      create();
      for (const d of config.data.datasets) d.data = [];
      maxEpochs = epochs || undefined;
      batchesPerEpoch = null;
      applyAxis();
      redraw();
    },
    /** x: epochs (fractional); batch: the batch number since the start (1, 2, ...). */
    addBatch(x, loss, accuracy, batch = x, perEpoch = null) {
      if (perEpoch && batchesPerEpoch !== perEpoch) {
        batchesPerEpoch = perEpoch;
        applyAxis();
      }
      trainLoss.data.push(point(x, batch, loss));
      if (accuracy != null) trainAcc.data.push(point(x, batch, accuracy));
      redraw();
    },
    addEpoch(x, vLoss, vAcc, batch = x) {
      if (vLoss != null) valLoss.data.push(point(x, batch, vLoss));
      if (vAcc != null) valAcc.data.push(point(x, batch, vAcc));
      redraw();
    },
    /** Show batches ('batch') or epochs ('epoch') on the x-axis; the points stay. */
    setAxis(which) {
      axis = which === 'batch' ? 'batch' : 'epoch';
      applyAxis();
      redraw();
    },
  };
  return api;
}
