// fit-options.test.mjs: training options as a person types them (web/shared/fit-options.js): defaults,
// limits from the data's shape, and the messages for bad input.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  validateFitConfig, fitDefaults, fitLimits, layersOf, DEFAULT_LR, OPTIMIZERS, FIELD_LABELS,
} from '../../web/shared/fit-options.js';
import { CATALOGS } from '../../web/page/i18n/i18n.js';

const SHAPE = { side: 28, inputs: 784, classes: 10, train: 60000, test: 10000 }; // MNIST's, as build.json says (shared/datasets.js)

const FORM = { hidden: '256, 64', optimizer: 'sgd', learningRate: '0.05', epochs: '2', batchSize: '32', samples: '1000' };

test('the form as typed becomes numbers', () => {
  const { config, errors } = validateFitConfig(FORM, SHAPE);
  assert.deepEqual(errors, {});
  assert.deepEqual(config, { hidden: [256, 64], optimizer: 'sgd', learningRate: 0.05, epochs: 2, batchSize: 32, samples: 1000, seed: 0 });
  assert.deepEqual(layersOf(config, SHAPE), [784, 256, 64, 10]);
});

test('numbers, arrays and a single size are accepted from JavaScript callers', () => {
  const { config } = validateFitConfig({ hidden: 32, epochs: 1, learningRate: 1e-3, optimizer: ' ADAM ', seed: 7 }, SHAPE);
  assert.deepEqual(config.hidden, [32]);
  assert.equal(config.optimizer, 'adam');
  assert.equal(config.seed, 7);
});

test('missing options take the defaults; the sample count defaults to one shard (8,000) or the whole split if smaller', () => {
  const { config } = validateFitConfig({}, SHAPE);
  assert.deepEqual(config, { ...fitDefaults(SHAPE), seed: 0 });
  assert.equal(config.samples, 8000);
  assert.equal(fitDefaults({ ...SHAPE, train: 500 }).samples, 500);
});

test('limits that depend on the data come from the shape', () => {
  assert.equal(fitLimits(SHAPE).samples, 60000);
  assert.equal(fitLimits(SHAPE).batchSize, 60000);
  const { errors } = validateFitConfig({ samples: 600 }, { ...SHAPE, train: 500 });
  assert.equal(errors.samples, 'Training samples: expected a whole number from 1 to 500 (the training split has 500 samples); got 600.');
});

const BAD = [
  [{ epochs: '0' }, 'epochs', 'Epochs: expected a whole number from 1 to 100; got "0".'],
  [{ epochs: 2.5 }, 'epochs', 'Epochs: expected a whole number from 1 to 100; got 2.5.'],
  [{ batchSize: '' }, 'batchSize', 'Batch size: expected a whole number from 1 to 60000; got "".'],
  [{ samples: '60001' }, 'samples', 'Training samples: expected a whole number from 1 to 60000 (the training split has 60,000 samples); got "60001".'],
  [{ dataset: 7 }, 'dataset', 'Data set: expected a data set id such as "mnist"; got 7.'],
  [{ hidden: 'abc' }, 'hidden', 'Hidden layers: expected whole numbers from 1 to 2048 separated by commas (at most 5 layers), e.g. "128" or "256, 64"; got "abc".'],
  [{ hidden: '' }, 'hidden', /got ""\.$/],
  [{ hidden: [1, 2, 3, 4, 5, 6] }, 'hidden', /at most 5 layers.*got \[1,2,3,4,5,6\]/],
  [{ hidden: '4096' }, 'hidden', /from 1 to 2048/],
  [{ optimizer: 'lbfgs' }, 'optimizer', 'Optimizer: expected one of adam, sgd, rmsprop, adagrad; got "lbfgs".'],
  [{ learningRate: '-1' }, 'learningRate', 'Learning rate: expected a number greater than 0 and at most 10 (e.g. 0.001 for adam, 0.01 for sgd); got "-1".'],
  [{ learningRate: '1e' }, 'learningRate', /got "1e"\.$/],
  [{ learningRate: NaN }, 'learningRate', /got NaN\.$/],
  [{ seed: -3 }, 'seed', 'seed: expected a whole number >= 0; got -3.'],
  [{ epoch: 3 }, 'epoch', 'Unknown option "epoch": valid options are hidden, epochs, batchSize, optimizer, learningRate, samples, dataset.'],
];

for (const [input, key, message] of BAD) {
  test(`bad input ${JSON.stringify(input)} is refused with a message for ${key}`, () => {
    const { config, errors } = validateFitConfig(input, SHAPE);
    assert.equal(config, null);
    assert.deepEqual(Object.keys(errors), [key]);
    if (message instanceof RegExp) assert.match(errors[key], message);
    else assert.equal(errors[key], message);
  });
}

test('every wrong field is reported at once, each under its own name', () => {
  const { config, errors } = validateFitConfig({ ...FORM, epochs: 'x', batchSize: '0', optimizer: '' }, SHAPE);
  assert.equal(config, null);
  assert.deepEqual(Object.keys(errors).sort(), ['batchSize', 'epochs', 'optimizer']);
  for (const key of ['batchSize', 'epochs', 'optimizer']) assert.ok(errors[key].startsWith(FIELD_LABELS[key]));
});

test('something other than an options object is refused', () => {
  for (const input of [null, 3, 'fast', [1]]) {
    const { config, errors } = validateFitConfig(input, SHAPE);
    assert.equal(config, null);
    assert.match(errors.options, /^fit\(\) expected an options object like \{hidden: \[128\], epochs: 3\}; got /);
  }
});

test('without the data shape the limits are unknown and validation says so', () => {
  assert.throws(() => validateFitConfig({}, undefined), /need the data set's shape from build\.json/);
});

test("default learning rates are py_nn's own optimizer defaults", () => {
  // read py_nn/optimizers.py: each `class X(Optimizer)` and the lr default of its __init__
  const source = readFileSync(new URL('../../py_nn/optimizers.py', import.meta.url), 'utf8');
  const found = {};
  for (const m of source.matchAll(/class (\w+)\(Optimizer\):[\s\S]*?def __init__\(self, lr=([\d.e-]+)/g)) {
    found[m[1].toLowerCase()] = Number(m[2]);
  }
  assert.deepEqual(Object.keys(found).sort(), [...OPTIMIZERS].sort(), `optimizers in py_nn: ${Object.keys(found)}`);
  for (const name of OPTIMIZERS) assert.equal(DEFAULT_LR[name], found[name], name);
  assert.match(source, /def __init__\(self, lr=0\.01, momentum=0\.9/);
  // what the page says next to the learning rate (each optimizer's note, web/page/i18n/)
  for (const lang of Object.values(CATALOGS)) {
    assert.deepEqual(Object.keys(lang.train.optimizerNotes).sort(), [...OPTIMIZERS].sort());
    assert.match(lang.train.optimizerNotes.sgd, /0[.,]9\)$/);
  }
});
