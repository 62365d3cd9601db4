// fit-options.js: the training options a person types: defaults, limits, labels and validation.
// Pure: no DOM, no Worker, no storage. Limits that depend on the data (the training pool size)
// come in as an argument: the shape of the data set trained on ({side, inputs, classes, train, test},
// shared/datasets.js's datasetShape). Which data set is the caller's to resolve (`dataset`: an id).

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad'];

/**
 * Default learning rate per optimizer: the same as py_nn's own defaults
 * (py_nn.optimizers: SGD(lr=0.01, momentum=0.9), Adagrad(lr=0.01), RMSprop(lr=0.001),
 * Adam(lr=0.001)), so the page trains what `py_nn.get_optimizer(name)` would.
 */
export const DEFAULT_LR = Object.freeze({ adam: 0.001, sgd: 0.01, rmsprop: 0.001, adagrad: 0.01 });

/** Limits that do not depend on the data. */
export const LIMITS = Object.freeze({ hiddenMax: 2048, hiddenLayers: 5, epochs: 100, learningRateMax: 10 });

export const FIELD_LABELS = Object.freeze({
  hidden: 'Hidden layers',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  optimizer: 'Optimizer',
  learningRate: 'Learning rate',
  samples: 'Training samples',
  dataset: 'Data set',
});

// The samples a run trains on unless told: one shard of a built-in data set (tools/datasets.py).
export const DEFAULT_SAMPLES = 8000;

const OPTION_KEYS = ['hidden', 'epochs', 'batchSize', 'optimizer', 'learningRate', 'samples', 'dataset'];
const FIT_KEYS = [...OPTION_KEYS, 'seed'];

function poolSize(shape) {
  const train = shape && shape.train;
  if (!Number.isInteger(train) || train < 1) {
    throw new TypeError(`fit options need the data set's shape from build.json ({train: <samples>, ...}); got ${JSON.stringify(shape)}.`);
  }
  return train;
}

/** Defaults for `shape`: one hidden layer of 128, 3 epochs, batch 64, adam, DEFAULT_SAMPLES (or the
 * whole training split if smaller), seed 0. */
export function fitDefaults(shape) {
  return {
    hidden: [128],
    epochs: 3,
    batchSize: 64,
    optimizer: 'adam',
    learningRate: DEFAULT_LR.adam,
    samples: Math.min(DEFAULT_SAMPLES, poolSize(shape)),
    seed: 0, // the same seed trains the same weights (a lesson link carries it)
  };
}

/** Limits for `shape`: a batch and the sample count go up to the training pool. */
export function fitLimits(shape) {
  const train = poolSize(shape);
  return { ...LIMITS, batchSize: train, samples: train };
}

const shown = (v) => (typeof v === 'string' || Array.isArray(v) ? JSON.stringify(v) : String(v));
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function toNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER_RE.test(v.trim())) return Number(v.trim());
  return NaN;
}

function wholeNumber(errors, key, value, min, max, hint) {
  const n = toNumber(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[key] = `${FIELD_LABELS[key]}: expected a whole number from ${min} to ${max}${hint ? ` ${hint}` : ''}; got ${shown(value)}.`;
    return undefined;
  }
  return n;
}

function hiddenSizes(errors, value) {
  const message =
    `${FIELD_LABELS.hidden}: expected whole numbers from 1 to ${LIMITS.hiddenMax} separated by commas ` +
    `(at most ${LIMITS.hiddenLayers} layers), e.g. "128" or "256, 64"; got ${shown(value)}.`;
  let list = value;
  if (typeof list === 'number') list = [list];
  if (typeof list === 'string') list = list.trim() === '' ? [] : list.split(/[,\s]+/).filter(Boolean);
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.hiddenLayers) {
    errors.hidden = message;
    return undefined;
  }
  const sizes = list.map(toNumber);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > LIMITS.hiddenMax)) {
    errors.hidden = message;
    return undefined;
  }
  return sizes;
}

/**
 * Check training options as a person typed them (strings from the form, or numbers/arrays from
 * `pynn.fit`). Missing options take `fitDefaults(shape)`.
 *
 * Returns {config, errors}: `config` is {hidden: number[], epochs, batchSize, optimizer,
 * learningRate, samples, seed, dataset?} with numbers, or null when any option is wrong; `errors` maps an
 * option name to a sentence saying what was expected and what was given (empty when valid).
 */
export function validateFitConfig(input, shape) {
  const limits = fitLimits(shape);
  const errors = {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      config: null,
      errors: { options: `fit() expected an options object like {hidden: [128], epochs: 3}; got ${shown(input)}.` },
    };
  }
  for (const key of Object.keys(input)) {
    if (!FIT_KEYS.includes(key)) {
      errors[key] = `Unknown option "${key}": valid options are ${OPTION_KEYS.join(', ')}.`;
    }
  }
  const v = { ...fitDefaults(shape), ...input };
  const config = {};
  config.hidden = hiddenSizes(errors, v.hidden);
  config.epochs = wholeNumber(errors, 'epochs', v.epochs, 1, limits.epochs);
  config.batchSize = wholeNumber(errors, 'batchSize', v.batchSize, 1, limits.batchSize);
  config.samples = wholeNumber(errors, 'samples', v.samples, 1, limits.samples,
    `(the training split has ${limits.samples.toLocaleString('en')} samples)`);

  const opt = typeof v.optimizer === 'string' ? v.optimizer.trim().toLowerCase() : v.optimizer;
  if (!OPTIMIZERS.includes(opt)) {
    errors.optimizer = `${FIELD_LABELS.optimizer}: expected one of ${OPTIMIZERS.join(', ')}; got ${shown(v.optimizer)}.`;
  } else config.optimizer = opt;

  const lr = toNumber(v.learningRate);
  if (!Number.isFinite(lr) || lr <= 0 || lr > limits.learningRateMax) {
    errors.learningRate =
      `${FIELD_LABELS.learningRate}: expected a number greater than 0 and at most ${limits.learningRateMax} ` +
      `(e.g. ${DEFAULT_LR.adam} for adam, ${DEFAULT_LR.sgd} for sgd); got ${shown(v.learningRate)}.`;
  } else config.learningRate = lr;

  if (v.seed !== undefined) {
    const seed = toNumber(v.seed);
    if (!Number.isInteger(seed) || seed < 0) errors.seed = `seed: expected a whole number >= 0; got ${shown(v.seed)}.`;
    else config.seed = seed;
  } else config.seed = 0;

  if (v.dataset !== undefined) {
    if (typeof v.dataset !== 'string' || !v.dataset) errors.dataset = `${FIELD_LABELS.dataset}: expected a data set id such as "mnist"; got ${shown(v.dataset)}.`;
    else config.dataset = v.dataset;
  }

  return { config: Object.keys(errors).length ? null : config, errors };
}

/** The layer sizes of the network a config trains, e.g. [784, 128, 10]. */
export function layersOf(config, shape) {
  return [shape.inputs, ...config.hidden, shape.classes];
}
