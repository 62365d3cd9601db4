// fit-progress.js: turns the worker's training progress messages into pynn.fit's onProgress
// events (README.md documents them). Pure.

/**
 * A progress handler for the worker's fit messages ({batch, epochs: [...], elapsedMs}) that calls
 * `onProgress` with pynn.fit's events: {type: "epoch", ...} for every finished epoch, then
 * {type: "batch", ..., progress (0..1)} for the latest batch; {type: "download", dataset, name, split,
 * files, of, samples, text} while the data is fetched. Undefined when there is no onProgress.
 */
export function progressEvents(config, onProgress) {
  if (!onProgress) return undefined;
  const total = config.epochs;
  return (p) => {
    if (p.download) { // a data set's shards being fetched before the run starts (worker/datasets.js)
      onProgress({ type: 'download', ...p.download });
      return;
    }
    if (p.output) onProgress({ type: 'output', text: p.output }); // print() from the Code panel's code
    for (const ev of p.epochs) {
      onProgress({
        type: 'epoch', epoch: ev.epoch, epochs: ev.epochs, loss: ev.loss, accuracy: ev.accuracy,
        valLoss: ev.val_loss, valAccuracy: ev.val_accuracy, progress: ev.epoch / ev.epochs, elapsedMs: p.elapsedMs,
      });
    }
    const b = p.batch;
    if (b) {
      const epochs = b.epochs || total;
      onProgress({
        type: 'batch', epoch: b.epoch, epochs, batch: b.batch, batches: b.batches, loss: b.loss,
        accuracy: b.accuracy, samples: b.samples,
        progress: ((b.epoch - 1) * b.batches + b.batch) / (epochs * b.batches), elapsedMs: p.elapsedMs,
      });
    }
  };
}
