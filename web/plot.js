// plot.js: the live training chart (Chart.js, self-hosted at vendor/chart.umd.min.js and loaded
// by a classic <script> as the global `Chart`). Loss on the left axis, accuracy on the right;
// x is the epoch (fractional while an epoch runs) or, with setAxis('batch'), the batch number. Animations are off and redraws are batched
// into at most one per animation frame, so live updates cost little on the main thread.

const COLORS = {
  loss: '#2563eb',
  valLoss: '#60a5fa',
  acc: '#ea580c',
  valAcc: '#f59e0b',
};

export function createTrainingChart(canvas, fallbackEl) {
  const Chart = window.Chart;
  if (typeof Chart !== 'function') {
    if (fallbackEl) {
      fallbackEl.hidden = false;
      fallbackEl.textContent =
        'The chart library (vendor/chart.umd.min.js) did not load, so the live chart is not shown. ' +
        'Training still works; rebuild the site with "python3 build.py" to get the chart back.';
    }
    const noop = () => {};
    return { reset: noop, addBatch: noop, addEpoch: noop, setAxis: noop, chart: null };
  }
  const ds = (label, color, axis, dashed) => ({
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    yAxisID: axis,
    borderWidth: 2,
    borderDash: dashed ? [6, 4] : [],
    pointRadius: dashed ? 3 : 0,
    tension: 0.2,
    spanGaps: true,
  });
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      datasets: [
        ds('Train loss', COLORS.loss, 'loss', false),
        ds('Validation loss', COLORS.valLoss, 'loss', true),
        ds('Train accuracy', COLORS.acc, 'acc', false),
        ds('Validation accuracy', COLORS.valAcc, 'acc', true),
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
          title: { display: true, text: 'Epoch' },
          ticks: { precision: 0 },
        },
        loss: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          title: { display: true, text: 'Loss' },
        },
        acc: {
          type: 'linear',
          position: 'right',
          min: 0,
          max: 1,
          title: { display: true, text: 'Accuracy' },
          grid: { drawOnChartArea: false },
          ticks: { callback: (v) => `${Math.round(v * 100)}%` },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14 } },
        tooltip: {
          callbacks: {
            label: (c) =>
              c.dataset.yAxisID === 'acc'
                ? `${c.dataset.label}: ${(c.parsed.y * 100).toFixed(1)}%`
                : `${c.dataset.label}: ${c.parsed.y.toFixed(4)}`,
          },
        },
      },
    },
  });

  let queued = false;
  const redraw = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      chart.update('none');
    });
  };
  const [trainLoss, valLoss, trainAcc, valAcc] = chart.data.datasets;
  let axis = 'epoch';
  let maxEpochs;
  let batchesPerEpoch = null;
  // each point keeps both positions: e (epochs, fractional) and b (batches); x shows one of them
  const point = (e, b, y) => ({ x: axis === 'batch' ? b : e, y, e, b });
  const applyAxis = () => {
    const x = chart.options.scales.x;
    x.title.text = axis === 'batch' ? 'Batch' : 'Epoch';
    x.max = axis === 'batch' ? (maxEpochs && batchesPerEpoch ? maxEpochs * batchesPerEpoch : undefined) : maxEpochs;
    for (const d of chart.data.datasets) for (const p of d.data) p.x = axis === 'batch' ? p.b : p.e;
  };

  return {
    chart,
    reset(epochs) {
      for (const d of chart.data.datasets) d.data = [];
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
}
