"""The static server: site/ on 127.0.0.1 with the right MIME types and what a real static host
sends: validators (ETag, Last-Modified; 304 on a match) with `Cache-Control: no-cache`, so the
browser keeps files in its HTTP cache but revalidates every use (a rebuilt site is picked up at
once). `python3 build.py serve`, and the end-to-end tests through make_server."""
import http.server
import os
from http import HTTPStatus
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
    ".gz": "application/gzip",  # served as is (no Content-Encoding): the page decodes it
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
    for .mjs/.wasm/.whl/.u8/.gz; every file answer carries an ETag (size and mtime in ns) and
    Last-Modified, a request whose If-None-Match (or, without it, If-Modified-Since) matches gets
    304 with no body, and ``Cache-Control: no-cache`` makes the browser revalidate every time,
    so a rebuilt site is always fresh and an unchanged file never travels twice. A request
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

        etag = None  # the ETag of the file this request answers with, if any

        def send_head(self):
            path = self.translate_path(self.path)
            if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
                path = os.path.join(path, "index.html")
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st is not None and os.path.isfile(path):
                self.etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
                wanted = self.headers.get("If-None-Match")
                if wanted is not None and (wanted.strip() == "*" or
                                           self.etag in [t.strip() for t in wanted.split(",")]):
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.end_headers()
                    return None
            return super().send_head()  # Last-Modified, If-Modified-Since (when no If-None-Match)

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache")
            if self.etag:
                self.send_header("ETag", self.etag)
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
