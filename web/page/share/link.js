// share/link.js: the lesson link's hash, both ways. Pure (no DOM): the page (share/lesson.js)
// reads the form and panels into a lesson and applies one; this module only writes and reads text.
//
//   #v=1&d=mnist&h=128&o=adam&lr=0.001&e=3&b=64&n=8000&s=0&a=0,0,0,0&p=draw,train&open=code&c=<code>
//
//   v     the format's version (LINK_VERSION); a newer one is refused with a message saying so
//   d     data set id            h  hidden layer sizes      o  optimizer     lr  learning rate
//   e     epochs                 b  batch size              n  samples       s   seed
//   a     augmentation: shift,rotation,scale,thickness      p  panels shown  open  panels open
//   c     the Code panel's code: UTF-8, deflate-raw (the native CompressionStream), base64url
// Every value is checked here for its syntax only; its range is the page's business
// (shared/fit-options.js), so a link and the Train form share one set of rules.

export const LINK_VERSION = 1;
export const MAX_LINK_CHARS = 8000; // longer URLs are cut or refused by chat apps and some servers
export const MAX_CODE_CHARS = 200000; // pynn.js's limit for code

const FIELDS = { d: 'dataset', h: 'hidden', o: 'optimizer', lr: 'learningRate', e: 'epochs', b: 'batchSize', n: 'samples', s: 'seed', a: 'augment', p: 'panels', open: 'open', c: 'code' };
const AUGMENT_ORDER = ['shift', 'rotation', 'scale', 'thickness'];
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;

export class LinkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LinkError';
  }
}

const FIX = 'Ask for a fresh link (Copy link in the page that made it); this page is unchanged.';

/** Is `hash` (location.hash, with or without "#") meant as a lesson? Anchors such as #draw-h are not. */
export const isLessonHash = (hash) => /^#?v=/.test(String(hash || ''));

function toBase64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  if (!B64URL_RE.test(text) || text.length % 4 === 1) throw new LinkError(`The link's code (c=) is damaged: it is not base64url text. ${FIX}`);
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

async function pipe(bytes, stream, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new LinkError(`The link's code is longer than ${limit.toLocaleString('en')} characters once unpacked: this page takes no more. ${FIX}`);
    }
    parts.push(value);
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

/** Code -> base64url of its deflate-raw bytes. */
export async function packCode(code) {
  return toBase64url(await pipe(new TextEncoder().encode(code), new CompressionStream('deflate-raw'), Infinity));
}

/** base64url of deflate-raw bytes -> the code (LinkError when damaged or too long). */
export async function unpackCode(text) {
  let bytes;
  try {
    bytes = await pipe(fromBase64url(text), new DecompressionStream('deflate-raw'), MAX_CODE_CHARS * 4);
  } catch (err) {
    if (err instanceof LinkError) throw err;
    throw new LinkError(`The link's code (c=) is damaged: it does not unpack (${err.message}). ${FIX}`);
  }
  const code = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (code.length > MAX_CODE_CHARS) throw new LinkError(`The link's code has ${code.length.toLocaleString('en')} characters; this page takes at most ${MAX_CODE_CHARS.toLocaleString('en')}. ${FIX}`);
  return code;
}

const num = (v) => String(Number(v));

/**
 * A lesson -> the hash text (with "#"). `lesson`: {dataset, hidden: [int], optimizer, learningRate,
 * epochs, batchSize, samples, seed, augment: {shift, rotation, scale, thickness}, panels: [name],
 * open: [name], code: string | null}. Throws LinkError when the result exceeds MAX_LINK_CHARS.
 */
export async function encodeLesson(lesson, { maxChars = MAX_LINK_CHARS, base = '' } = {}) {
  const aug = lesson.augment || {};
  const parts = [
    `v=${LINK_VERSION}`,
    `d=${lesson.dataset}`,
    `h=${lesson.hidden.map(num).join(',')}`,
    `o=${lesson.optimizer}`,
    `lr=${num(lesson.learningRate)}`,
    `e=${num(lesson.epochs)}`,
    `b=${num(lesson.batchSize)}`,
    `n=${num(lesson.samples)}`,
    `s=${num(lesson.seed)}`,
    `a=${AUGMENT_ORDER.map((k) => num(aug[k] || 0)).join(',')}`,
    `p=${lesson.panels.join(',')}`,
  ];
  if (lesson.open && lesson.open.length) parts.push(`open=${lesson.open.join(',')}`);
  if (typeof lesson.code === 'string' && lesson.code !== '') parts.push(`c=${await packCode(lesson.code)}`);
  const hash = `#${parts.join('&')}`;
  const length = base.length + hash.length;
  if (length > maxChars) {
    throw new LinkError(
      `The link would be ${length.toLocaleString('en')} characters, over the ${maxChars.toLocaleString('en')} a URL can safely carry ` +
        '(chat apps and servers cut longer ones). Shorten the code, or leave it out (lessonLink({code: false})) and share it as a file.'
    );
  }
  return hash;
}

function list(text, what) {
  const items = text === '' ? [] : text.split(',');
  for (const item of items) if (!NAME_RE.test(item)) throw new LinkError(`The link's ${what} list has a bad name ${JSON.stringify(item.slice(0, 40))}. ${FIX}`);
  return items;
}

function number(text, what) {
  if (!NUMBER_RE.test(text)) throw new LinkError(`The link's ${what} is not a number: ${JSON.stringify(text.slice(0, 40))}. ${FIX}`);
  return Number(text);
}

/**
 * The hash text (location.hash) -> a lesson as encodeLesson takes it (numbers parsed, ranges not
 * checked). Throws LinkError for a damaged link, a missing field, or a newer format.
 */
export async function decodeLesson(hash, { maxChars = MAX_LINK_CHARS } = {}) {
  const text = String(hash || '').replace(/^#/, '');
  if (text.length > maxChars) throw new LinkError(`The link is ${text.length.toLocaleString('en')} characters long; a lesson link is at most ${maxChars.toLocaleString('en')}. ${FIX}`);
  const values = {};
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || (key !== 'v' && !(key in FIELDS))) throw new LinkError(`The link is damaged: ${JSON.stringify(pair.slice(0, 40))} is not one of its fields (${['v', ...Object.keys(FIELDS)].join(', ')}). ${FIX}`);
    if (key in values) throw new LinkError(`The link is damaged: it has "${key}=" twice. ${FIX}`);
    values[key] = pair.slice(eq + 1);
  }
  if (!/^\d+$/.test(values.v || '')) throw new LinkError(`The link is damaged: its version "v=" should be a whole number; got ${JSON.stringify((values.v || '').slice(0, 20))}. ${FIX}`);
  const version = Number(values.v);
  if (version > LINK_VERSION) {
    throw new LinkError(`This lesson link was made by a newer version of the page (link format ${version}; this page reads format ${LINK_VERSION}). Open it on the site that made it, or ask for a link from this site. This page is unchanged.`);
  }
  if (version < 1) throw new LinkError(`The link is damaged: there is no link format ${version}. ${FIX}`);
  const missing = ['d', 'h', 'o', 'lr', 'e', 'b', 'n', 's', 'a', 'p'].filter((k) => !(k in values));
  if (missing.length) throw new LinkError(`The link is damaged (cut off?): it lacks ${missing.map((k) => `"${k}="`).join(', ')}. ${FIX}`);
  if (!NAME_RE.test(values.d)) throw new LinkError(`The link's data set (d=) is not a data set name: ${JSON.stringify(values.d.slice(0, 40))}. ${FIX}`);
  if (!/^[a-z]+$/.test(values.o)) throw new LinkError(`The link's optimizer (o=) is not a name: ${JSON.stringify(values.o.slice(0, 40))}. ${FIX}`);
  const augment = values.a.split(',');
  if (augment.length !== AUGMENT_ORDER.length) throw new LinkError(`The link's augmentation (a=) should be ${AUGMENT_ORDER.length} numbers (${AUGMENT_ORDER.join(', ')}); got ${JSON.stringify(values.a.slice(0, 40))}. ${FIX}`);
  return {
    dataset: values.d,
    hidden: values.h.split(',').map((v) => number(v, 'hidden layer size (h=)')),
    optimizer: values.o,
    learningRate: number(values.lr, 'learning rate (lr=)'),
    epochs: number(values.e, 'epochs (e=)'),
    batchSize: number(values.b, 'batch size (b=)'),
    samples: number(values.n, 'sample count (n=)'),
    seed: number(values.s, 'seed (s=)'),
    augment: Object.fromEntries(AUGMENT_ORDER.map((k, i) => [k, number(augment[i], `augmentation ${k} (a=)`)])),
    panels: list(values.p, 'panels (p=)'),
    open: list(values.open || '', 'open panels (open=)'),
    code: values.c ? await unpackCode(values.c) : null,
  };
}
