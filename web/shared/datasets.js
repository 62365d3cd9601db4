// datasets.js: the data sets as build.json describes them ("datasets": [{id, name, classes, side,
// train: {count, shards: [{url, count, sha256}]}, test, source, license, model,
// model_test_accuracy}], written by tools/datasets.py). Pure: both the page and the worker read
// them through these functions, so no count, class name or side is written anywhere else.

export const DEFAULT_DATASET = 'mnist'; // a model file that names no data set is taken as MNIST's

/** build.json's entry of data set `id`, or null. */
export function builtInDataset(build, id) {
  return ((build && build.datasets) || []).find((d) => d.id === id) || null;
}

/** The pixels every data set shares: {side, inputs} (the page draws side x side). */
export function pixelShape(build) {
  const side = build.datasets[0].side;
  return { side, inputs: side * side };
}

/** A data set's sizes: {side, inputs, classes (how many), train, test (sample counts)}. */
export function datasetShape(entry) {
  return {
    side: entry.side,
    inputs: entry.side * entry.side,
    classes: entry.classes.length,
    train: entry.train.count,
    test: entry.test.count,
  };
}

/**
 * The shards of a split to fetch so that its first `wanted` samples are loaded, given `loaded`
 * samples already in: [{index, url, count, sha256}], in order (shards are added in order).
 */
export function shardsToFetch(split, loaded, wanted) {
  const out = [];
  let start = 0;
  split.shards.forEach((shard, index) => {
    if (start >= loaded && start < wanted) out.push({ index, ...shard });
    start += shard.count;
  });
  return out;
}

/** What a person reads about a data set's licence: "Licence: CC BY-SA 3.0; MNIST by …". */
export function credit(entry) {
  return entry.license ? `Licence: ${entry.license}` : `${entry.name}: no licence given`;
}
