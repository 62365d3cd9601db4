// share/embed-protocol.js: the messages between an embedded page (?embed, in an <iframe>) and its
// host, checked here. Pure: no DOM. share/embed.js sends and answers them; README documents them.
//
// page -> host   {source: "pynn", type, ...}
//   ready      {version, panels}                      once the network is ready
//   prediction {label, className, probabilities, id?} every prediction of the pad, or the answer
//                                                     to a "predict" command (with its id)
//   trained    {accuracy, fingerprint}                a training run in the page ended
//   height     {height}                               the content's height in CSS pixels, on change
//   done       {id, command}                          a "clear" or "panels" command was carried out
//   error      {id?, message}                         a command was refused; nothing changed
// host -> page   {command, id?, ...}; id (a string or number) comes back in the answer
//   clear      {}                                     clear the drawing pad
//   predict    {pixels}                               784 numbers, 0 = background .. 1 = ink
//   panels     {panels: ["draw", ...]}                show these panels only
// Nothing else: code, models and storage writes are never taken through messages.

export const SOURCE = 'pynn';
export const COMMANDS = Object.freeze(['clear', 'predict', 'panels']);
const NEVER = 'The embedded page never takes code, models or storage writes through messages.';
const SHAPE = `expected an object {command: ${COMMANDS.map((c) => `"${c}"`).join(' | ')}, id?}`;

const shown = (v) => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with keys ${JSON.stringify(Object.keys(v).slice(0, 8))}`;
  return `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
};

/** A message for the host: {source: "pynn", type, ...fields}. */
export const toHost = (type, fields = {}) => ({ source: SOURCE, type, ...fields });

/**
 * A host's message -> {command, id, pixels?, panels?} or {error, id}: `error` says what was
 * expected, what came and what to do. `inputs` is the pixel count of a drawing (784).
 */
export function readCommand(data, inputs) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { error: `Message refused: ${SHAPE}; got ${shown(data)}.`, id: null };
  }
  const id = typeof data.id === 'string' || typeof data.id === 'number' ? data.id : null;
  if (data.id !== undefined && id === null) return { error: `Message refused: "id" should be a string or a number; got ${shown(data.id)}.`, id: null };
  if (typeof data.command !== 'string') return { error: `Message refused: ${SHAPE}; got ${shown(data)}.`, id };
  if (!COMMANDS.includes(data.command)) {
    return { error: `Unknown command ${JSON.stringify(data.command.slice(0, 40))}: the embedded page accepts ${COMMANDS.join(', ')}. ${NEVER}`, id };
  }
  const extra = Object.keys(data).filter((k) => !['command', 'id', 'pixels', 'panels'].includes(k));
  if (extra.length) return { error: `Command "${data.command}" refused: unknown field ${JSON.stringify(extra[0])}. ${NEVER}`, id };
  if (data.command === 'predict') {
    const p = data.pixels;
    const ok = (Array.isArray(p) || ArrayBuffer.isView(p)) && p.length === inputs;
    if (!ok) return { error: `Command "predict" refused: "pixels" should be ${inputs} numbers (row-major, 0 = background .. 1 = ink); got ${p === undefined ? 'none' : shown(p)}.`, id };
    const at = Array.prototype.findIndex.call(p, (v) => !(typeof v === 'number' && v >= 0 && v <= 1));
    if (at >= 0) return { error: `Command "predict" refused: pixel values go from 0 (background) to 1 (ink); got ${JSON.stringify(p[at])} at index ${at}.`, id };
    return { command: 'predict', id, pixels: Float32Array.from(p) };
  }
  if (data.command === 'panels') {
    const names = data.panels;
    if (!Array.isArray(names) || !names.length || names.some((n) => typeof n !== 'string')) {
      return { error: `Command "panels" refused: "panels" should be a list of panel names, e.g. ["draw"]; got ${names === undefined ? 'none' : shown(names)}.`, id };
    }
    return { command: 'panels', id, panels: names };
  }
  return { command: data.command, id };
}
