// ready_hook.js: records when the page became Ready, for tools/bench_browser.py (an init script that
// runs before the page's own scripts). When the page assigns `window.pynn`, the hook chains onto
// `pynn.ready` and stores performance.now() (ms since navigation start) in
// window.__pynnBenchReadyAt, or the error text in window.__pynnBenchReadyError.
(() => {
  let value;
  Object.defineProperty(window, 'pynn', {
    configurable: true,
    enumerable: true,
    get() {
      return value;
    },
    set(next) {
      value = next;
      if (next && next.ready && typeof next.ready.then === 'function') {
        next.ready.then(
          () => {
            window.__pynnBenchReadyAt = performance.now();
          },
          (err) => {
            window.__pynnBenchReadyError = String((err && err.message) || err);
          }
        );
      }
    },
  });
})();
