"""The static server: site/ on 127.0.0.1 with the right MIME types and no caching
(`python3 build.py serve`, and the end-to-end tests through make_server)."""
import http.server
from pathlib import Path

from tools.env import BuildError, section
from tools.paths import SITE

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/octet-stream",
    ".u8": "application/octet-stream",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


def make_server(site_dir, port=8000, host="127.0.0.1", quiet=False):
    """Return a ThreadingHTTPServer serving ``site_dir`` on ``host:port`` (not yet started).

    Port 0 picks a free port (read it from ``server.server_address[1]``). Correct MIME types
    for .mjs/.wasm/.whl/.u8, and no-cache headers so a rebuilt site is always fresh. A request
    path cannot climb out of ``site_dir`` (``..`` segments, also percent-encoded, are dropped);
    symbolic links inside it are followed (the end-to-end tests serve a sub-path that way).
    Start it with ``server.serve_forever()`` (e.g. in a thread); stop with
    ``server.shutdown(); server.server_close()``.
    """
    directory = str(Path(site_dir).resolve())

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
            self.send_header("Pragma", "no-cache")
            self.send_header("Expires", "0")
            super().end_headers()

        def log_message(self, fmt, *args):
            if not quiet:
                super().log_message(fmt, *args)

    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(port, site_dir=SITE):
    """Serve site/ until interrupted."""
    try:
        server = make_server(site_dir, port)
    except OSError as error:
        raise BuildError(f"cannot listen on 127.0.0.1:{port} ({error.strerror}); "
                         f"choose another port with --port N") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    section(f"Serving site/ at {url}")
    print(f"Open {url} in a browser. Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()
