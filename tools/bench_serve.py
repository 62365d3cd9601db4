"""What the web benchmark serves and what it costs on the wire: the TF.js folder (pinned npm
tarballs, never copied into site/), a static server that logs every response, and the bytes a
compressing static host would send for a logged visit."""
import gzip
import shutil
import tarfile
import threading
import time
import urllib.parse
from pathlib import Path

from tools.downloads import extract_member, npm_tarball
from tools.paths import SITE, TESTS
from tools.pins import BENCH_NPM_PACKAGES
from tools.serve import make_server

BENCH_SRC = TESTS / "bench"

TFJS_FILES = {
    "@tensorflow/tfjs": ["dist/tf.min.js"],
    "@tensorflow/tfjs-backend-wasm": ["dist/tf-backend-wasm.min.js", "dist/tfjs-backend-wasm.wasm",
                                      "dist/tfjs-backend-wasm-simd.wasm",
                                      "dist/tfjs-backend-wasm-threaded-simd.wasm"],
}
BENCH_PAGE_FILES = ["tfjs_bench.html", "tfjs_bench.js"]

# What a compressing static host gzips; everything else (.whl, .zip, .png, .gz ...) goes raw.
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt", ".md", ".wasm",
                ".u8", ".webmanifest", ".ico"}


def make_bench_folder(tmp):
    """A folder with the TF.js page, TF.js and its wasm binaries, and a link to site/data."""
    folder = Path(tmp) / "bench-site"
    folder.mkdir()
    for name in TFJS_FILES:
        tgz = npm_tarball(name, pins=BENCH_NPM_PACKAGES)
        with tarfile.open(tgz) as tar:
            for member in TFJS_FILES[name]:
                extract_member(tar, f"package/{member}", folder / Path(member).name)
    for name in BENCH_PAGE_FILES:
        shutil.copy2(BENCH_SRC / name, folder / name)
    (folder / "data").symlink_to((SITE / "data").resolve(), target_is_directory=True)
    return folder


class RecordingServer:
    """build.make_server on a free port in a thread, logging (time, path, status) of every response."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.log = []
        self.server = make_server(self.directory, 0, quiet=True)
        log = self.log

        class Recording(self.server.RequestHandlerClass):
            def send_response(self, code, message=None):
                log.append((time.monotonic(), self.path, code))
                super().send_response(code, message)

        self.server.RequestHandlerClass = Recording
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_quiet(self, seconds=1.5, limit=60.0):
        """Wait until no response was started for ``seconds`` (at most ``limit`` seconds)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            last = self.log[-1][0] if self.log else 0.0
            if time.monotonic() - last >= seconds:
                return
            time.sleep(0.2)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wire_bytes(directory, entries, _gz_cache={}):
    """What a compressing host sends for ``entries`` [(time, path, status)]: per-file rows and sums.

    Compressible types count as their gzip -6 size; others raw. Non-200 answers count 0.
    """
    files = {}
    for _, path, code in entries:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        row = files.setdefault(rel, {"path": rel, "responses": 0, "raw": 0, "wire": 0, "status": code})
        row["responses"] += 1
        target = Path(directory) / rel
        if code != 200 or not target.is_file():
            continue
        raw = target.stat().st_size
        wire = raw
        if target.suffix.lower() in COMPRESSIBLE:
            key = (str(target), target.stat().st_mtime_ns)
            if key not in _gz_cache:
                _gz_cache[key] = len(gzip.compress(target.read_bytes(), compresslevel=6))
            wire = _gz_cache[key]
        row["raw"] += raw
        row["wire"] += wire
        row["one_copy"] = wire
    rows = sorted(files.values(), key=lambda r: -r["wire"])
    return {"responses": len(entries), "raw": sum(r["raw"] for r in rows),
            "wire": sum(r["wire"] for r in rows),
            "wire_one_copy_each": sum(r.get("one_copy", 0) for r in rows), "files": rows}
