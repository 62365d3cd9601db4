// digits.js: the digits, fetched on the first request that needs them (shared/protocol.js's
// NEEDS_DIGITS), decoded with the native DecompressionStream and handed to the Python state. Ready
// never waits for them; a failed fetch is that request's error (kind "data") and the next one retries.

import { UserError, REBUILD, errorText, stripPythonType } from './util.js';
import { fetchDigitFiles } from './stages.js';
import { SITE, callJson, ctx } from './context.js';

let digitsPromise = null; // the one load under way or done; cleared on failure so the next request retries

async function fetchDigits() {
  const { url, images, labels } = await fetchDigitFiles(SITE, ctx.build.digits);
  try {
    callJson('load_data', images, labels);
  } catch (err) {
    throw new UserError(`Could not use the digits in ${url.pathname}: ${stripPythonType(errorText(err))}. ${REBUILD}.`, 'data', url.pathname);
  }
}

/** Resolves once the digits are in the Python state; the first call starts the download. */
export function digits() {
  if (!digitsPromise) {
    digitsPromise = fetchDigits().catch((err) => {
      digitsPromise = null;
      throw err;
    });
  }
  return digitsPromise;
}
