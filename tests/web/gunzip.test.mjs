// gunzip.test.mjs: web/worker/util.js's gunzip (DecompressionStream) gives back the exact bytes
// gzip packed: random bytes, the empty file, and the site's digit files against the raw ones.

import test from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, gunzipSync } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzip } from '../../web/worker/util.js';

const toBuffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);

test('gunzip returns the bytes gzip packed, bit for bit', async () => {
  const raw = new Uint8Array(300_000);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  for (const input of [raw, new Uint8Array(0)]) {
    const out = await gunzip(toBuffer(gzipSync(input, { level: 9 })));
    assert.ok(out instanceof Uint8Array);
    assert.deepEqual(Buffer.from(out), Buffer.from(input));
  }
});

test('bytes that are not gzip (already decoded by a host) come back as they are', async () => {
  const plain = new Uint8Array([7, 2, 1, 0, 4]);
  assert.deepEqual(await gunzip(toBuffer(plain)), plain);
});

test('a damaged gzip file is an error, not wrong bytes', async () => {
  const packed = gzipSync(new Uint8Array(5000).fill(3));
  packed[packed.length - 6] ^= 0xff; // the CRC no longer matches
  await assert.rejects(gunzip(toBuffer(packed)));
});

const site = process.env.PYNN_SITE_DIR;
test('the site\'s shards decode to what zlib makes of them: count samples of 784 bytes, then count labels', { skip: !site || !existsSync(join(site || '', 'build.json')) }, async () => {
  const build = JSON.parse(readFileSync(join(site, 'build.json'), 'utf8'));
  for (const d of build.datasets) {
    const shard = d.test.shards[0];
    const packed = readFileSync(join(site, shard.url));
    const out = await gunzip(toBuffer(packed));
    assert.ok(Buffer.from(out).equals(gunzipSync(packed)), shard.url);
    assert.equal(out.length, shard.count * (d.side * d.side + 1), shard.url);
  }
});
