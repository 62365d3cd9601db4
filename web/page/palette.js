// palette.js: every colour the page draws on canvases, in one place. The weight and heat maps use
// fixed ramps (pure, tested in Node with colour-blindness simulations: tests/web/palette.test.mjs);
// chart and histogram colours follow the theme, read from style.css's custom properties.
//
// The diverging ramp is ColorBrewer's PuOr (purple - white - orange): its two arms stay apart for
// protanopia, deuteranopia and tritanopia, and lightness falls steadily from the white middle to
// both ends, so the strength of a weight reads without hue. Heat (activations) is one orange ramp.

// PuOr, 11 classes, from the negative end (dark purple) through white (zero) to the positive end.
const DIVERGING_STOPS = [
  [45, 0, 75], [84, 39, 136], [128, 115, 172], [178, 171, 210], [216, 218, 235],
  [247, 247, 247],
  [254, 224, 182], [253, 184, 99], [224, 130, 20], [179, 88, 6], [127, 59, 8],
];
// a sequential orange: near white (0) to dark orange ("fires strongly")
const HEAT_STOPS = [[248, 250, 252], [253, 208, 162], [253, 141, 60], [217, 72, 1], [140, 45, 4]];

/** The colour at t in 0..1 along `stops` (linear between neighbours): [r, g, b] bytes. */
export function ramp(stops, t) {
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f));
}

/** Diverging colour [r, g, b] of `v` on a scale of -max .. max (clamped): white at 0. */
export function diverging(v, max) {
  const t = Math.max(-1, Math.min(1, v / max));
  return ramp(DIVERGING_STOPS, (t + 1) / 2);
}

/** Sequential colour of `v` on 0 .. max (clamped): near white at 0, dark orange at max. */
export function heat(v, max) {
  return ramp(HEAT_STOPS, max > 0 ? v / max : 0);
}

const css = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;

/** The legend swatches of the weight maps (.swatch.pos / .swatch.neg in style.css) as CSS
 * custom properties on `root`, so the words under a picture show its real colours. */
export function paintSwatches(root = document.documentElement) {
  root.style.setProperty('--map-neg', css(diverging(-1, 1)));
  root.style.setProperty('--map-pos', css(diverging(1, 1)));
}

/** A colour of the current theme: style.css's custom property `name` (e.g. '--chart-loss'). */
export function themeColour(name, fallback = '#5b6478') {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Call `fn` when the person's colour scheme changes (light <-> dark), so canvases are redrawn. */
export function onThemeChange(fn) {
  if (typeof window === 'undefined' || !window.matchMedia) return;
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', fn);
}

export { DIVERGING_STOPS, HEAT_STOPS };
