// host.js: the example host page's script (page/embed-example/index.html): embeds the py_nn page
// with ?embed, sizes the iframe to the height it reports, shows its messages, sends commands.
// Try another site's copy with ?src=<URL of its index.html?embed&panels=draw>.

const frame = document.getElementById('pynn');
const src = new URL(new URLSearchParams(location.search).get('src') || '../../index.html?embed&panels=draw', location.href);
const origin = src.origin; // only messages from the embedded page count
frame.src = src.href;

function log(text) {
  const li = document.createElement('li');
  li.textContent = text;
  document.getElementById('host-log').append(li);
}

window.addEventListener('message', (event) => {
  if (event.origin !== origin || event.source !== frame.contentWindow) return;
  const msg = event.data;
  if (!msg || msg.source !== 'pynn') return;
  if (msg.type === 'height') frame.style.height = `${msg.height + 4}px`;
  if (msg.type === 'prediction') {
    const p = msg.probabilities[msg.label];
    document.getElementById('host-prediction').textContent = `${msg.className} (${(p * 100).toFixed(1)}%)`;
  }
  log(`${msg.type} ${JSON.stringify({ ...msg, source: undefined, type: undefined, probabilities: msg.probabilities ? '[…]' : undefined })}`);
});

const send = (message) => frame.contentWindow.postMessage(message, origin);
document.getElementById('host-clear').addEventListener('click', () => send({ command: 'clear', id: 'clear-1' }));
document.getElementById('host-predict').addEventListener('click', () => send({ command: 'predict', id: 'blank', pixels: new Array(784).fill(0) }));
document.getElementById('host-bad').addEventListener('click', () => send({ command: 'loadModel', id: 'bad', url: 'https://elsewhere.example/model.json' }));
