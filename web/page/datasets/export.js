// datasets/export.js: a data set of yours -> a zip in the layout import reads back: one PNG per
// sample (28x28 grey, light ink on black, lossless) in train/<class>/<n>.png and test/<class>/<n>.png,
// plus dataset.json (name, classes in their order, side, source, licence).

import { INPUTS, SIDE, META_FILE } from './rules.js';
import { loadFflate } from './zip.js';

/** 28x28 grey bytes -> PNG bytes, encoded by the browser's canvas (PNG is lossless). */
async function png(pixels) {
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(SIDE, SIDE) : Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
  const ctx = canvas.getContext('2d', { colorSpace: 'srgb' });
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < INPUTS; i++) {
    img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  const blob = canvas.convertToBlob ? await canvas.convertToBlob({ type: 'image/png' }) : await new Promise((r) => canvas.toBlob(r, 'image/png'));
  return new Uint8Array(await blob.arrayBuffer());
}

/** A folder name for a class: its name with characters a file system refuses replaced. */
export const folderName = (name) => String(name).replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+/, '_') || '_';

/** The zip of `dataset` as a File named after it (`<name>.zip`). */
export async function datasetZip(dataset) {
  const ff = await loadFflate();
  const folders = dataset.classes.map(folderName);
  const files = {
    [META_FILE]: ff.strToU8(JSON.stringify({
      name: dataset.name, classes: folders, side: SIDE, source: dataset.source || 'yours', license: dataset.license || '',
      createdAt: dataset.createdAt, train: dataset.train.labels.length, test: dataset.test.labels.length,
    }, null, 1)),
  };
  for (const split of ['train', 'test']) {
    const { images, labels } = dataset[split];
    for (let i = 0; i < labels.length; i++) {
      files[`${split}/${folders[labels[i]]}/${i + 1}.png`] = [await png(images.subarray(i * INPUTS, (i + 1) * INPUTS)), { level: 0 }];
    }
  }
  return new File([ff.zipSync(files)], `${folderName(dataset.name)}.zip`, { type: 'application/zip' });
}
