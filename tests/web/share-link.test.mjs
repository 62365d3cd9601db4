// The lesson link's hash (web/page/share/link.js) and the embed messages (share/embed-protocol.js):
// round trips, the measured lengths, and every kind of bad input refused with its message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLesson, decodeLesson, isLessonHash, LinkError, MAX_LINK_CHARS, packCode } from '../../web/page/share/link.js';
import { readCommand, COMMANDS } from '../../web/page/share/embed-protocol.js';

const LESSON = {
  dataset: 'mnist', hidden: [128], optimizer: 'adam', learningRate: 0.001, epochs: 3, batchSize: 64, samples: 8000, seed: 0,
  augment: { shift: 0, rotation: 0, scale: 0, thickness: 0 }, panels: ['draw', 'train', 'models', 'teach', 'inside', 'code', 'share'], open: [], code: null,
};
// a 20-line snippet in the Code panel's style
const CODE = `import numpy as np
from py_nn import Adam, softmax, d_softmax, categorical_crossentropy, d_categorical_crossentropy


def swish(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return x * s


def d_swish(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s + x * s * (1.0 - s)


hidden_activation = (swish, d_swish)
output_activation = (softmax, d_softmax)
loss = (categorical_crossentropy, d_categorical_crossentropy)
optimizer = Adam(lr=0.002)
layers = [784, 256, 64, 10]
print("a swish network")
`;
const BASE = 'https://teacher.github.io/py-nn/';

test('a lesson goes through its hash unchanged, code included (UTF-8 too)', async () => {
  for (const lesson of [LESSON, { ...LESSON, hidden: [256, 64], optimizer: 'sgd', learningRate: 0.05, augment: { shift: 2, rotation: 10, scale: 0.1, thickness: 0.3 }, open: ['inside', 'code'], code: CODE + '# déjà vu ✓\n' }]) {
    const hash = await encodeLesson(lesson);
    assert.ok(isLessonHash(hash));
    assert.deepEqual(await decodeLesson(hash), lesson);
  }
  assert.equal(isLessonHash('#draw-h'), false);
});

test('link lengths: default settings and with a 20-line snippet (reported in README)', async () => {
  assert.equal(CODE.split('\n').length - 1, 20);
  const plain = BASE + (await encodeLesson(LESSON));
  const withCode = BASE + (await encodeLesson({ ...LESSON, code: CODE }));
  console.log(`lesson link: ${plain.length} characters with default settings, ${withCode.length} with the 20-line snippet (${CODE.length} characters of code, ${(await packCode(CODE)).length} packed)`);
  assert.ok(plain.length < 200, plain);
  assert.ok(withCode.length < 1000, `${withCode.length}`);
});

test('too long for a URL: refused when made, and when opened', async () => {
  let seed = 1;
  const noise = Array.from({ length: 9000 }, () => String.fromCharCode(33 + ((seed = (seed * 48271) % 2147483647) % 90))).join('');
  await assert.rejects(encodeLesson({ ...LESSON, code: noise }), (err) => err instanceof LinkError && /over the 8,000 a URL can safely carry/.test(err.message));
  await assert.rejects(decodeLesson('#v=1&' + 'x'.repeat(MAX_LINK_CHARS)), /a lesson link is at most 8,000/);
});

test('damaged, cut off, newer: each a message saying so', async () => {
  const good = await encodeLesson({ ...LESSON, code: CODE });
  const cases = [
    ['#v=2&d=mnist', /newer version of the page \(link format 2; this page reads format 1\)/],
    ['#v=x', /version "v=" should be a whole number/],
    [good.slice(0, good.indexOf('&p=')), /cut off\?\): it lacks "p="/],
    [good.replace('&e=3', '&e=three'), /epochs \(e=\) is not a number: "three"/],
    [good.replace('&h=128', '&h=128&h=64'), /has "h=" twice/],
    [good.replace('&o=adam', '&zz=1&o=adam'), /"zz=1" is not one of its fields/],
    [good.replace(/&c=.*$/, '&c=!!notbase64'), /code \(c=\) is damaged: it is not base64url/],
    [good.replace(/&c=.{12}/, '&c=AAAAAAAAAAAA'), /code \(c=\) is damaged: it does not unpack/],
    [good.replace('&p=draw', '&p=Draw<script>'), /panels \(p=\) list has a bad name/],
    [good.replace('&a=0,0,0,0', '&a=0,0'), /augmentation \(a=\) should be 4 numbers/],
  ];
  for (const [hash, re] of cases) await assert.rejects(decodeLesson(hash), (err) => err instanceof LinkError && re.test(err.message), hash);
});

test('a small link that unpacks to too much code is stopped while unpacking', async () => {
  const huge = 'x'.repeat(900000);
  const hash = `#v=1&d=mnist&h=128&o=adam&lr=0.001&e=3&b=64&n=8000&s=0&a=0,0,0,0&p=draw&c=${await packCode(huge)}`;
  assert.ok(hash.length < MAX_LINK_CHARS);
  await assert.rejects(decodeLesson(hash), /longer than 800,000 characters once unpacked|at most 200,000/);
});

test('embed commands: the three known ones pass, every wrong shape gets a message', () => {
  assert.deepEqual(COMMANDS, ['clear', 'predict', 'panels']);
  assert.deepEqual(readCommand({ command: 'clear', id: 7 }, 784), { command: 'clear', id: 7 });
  assert.equal(readCommand({ command: 'predict', pixels: new Array(784).fill(0.5) }, 784).pixels.length, 784);
  assert.deepEqual(readCommand({ command: 'panels', panels: ['draw'] }, 784).panels, ['draw']);
  const bad = [
    ['hello', /expected an object \{command: "clear" \| "predict" \| "panels", id\?\}; got string "hello"/],
    [{ command: 'loadModel', url: 'x' }, /Unknown command "loadModel": the embedded page accepts clear, predict, panels\. .*never takes code, models or storage writes/],
    [{ command: 'clear', code: 'print(1)' }, /unknown field "code"/],
    [{ command: 'predict', pixels: [1, 2] }, /"pixels" should be 784 numbers/],
    [{ command: 'predict', pixels: new Array(784).fill(255) }, /got 255 at index 0/],
    [{ command: 'panels', panels: 'draw' }, /"panels" should be a list of panel names/],
    [{ command: 'clear', id: { a: 1 } }, /"id" should be a string or a number/],
  ];
  for (const [data, re] of bad) assert.match(readCommand(data, 784).error, re);
});
