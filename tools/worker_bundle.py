"""site/worker/worker.js: the Web Worker as one file at run time. Its sources stay ES modules in
web/worker/ (and web/shared/), tested as modules; esbuild bundles them into one module so a visit
loads one file instead of a module graph (each module was a round trip through the service worker
on a repeat visit), with a source map (sources included) so errors name the source lines.

esbuild is pinned in tools/esbuild/package.json and package-lock.json; ``npm ci`` installs exactly
the lock (every tarball's sha512 integrity checked) into .cache/esbuild/<key>/, once per lock.
"""
import hashlib
import json
import os
import tempfile
from pathlib import Path

from tools.env import clean_env, info, require_tool, run
from tools.paths import CACHE, ROOT, WEB

SOURCE = ROOT / "tools" / "esbuild"
INPUTS = ("package.json", "package-lock.json")
ESBUILD_CACHE = CACHE / "esbuild"
ENTRY = Path("worker") / "worker.js"  # in web/, and the bundle's place in the site
FLAGS = ("--bundle", "--format=esm", "--target=es2022", "--sourcemap", "--sources-content=true",
         "--legal-comments=none", "--log-level=warning")


def lock_key(source=SOURCE):
    """16 hex chars of a sha256 over the pinned package.json and lock."""
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update(name.encode() + b"\0" + (Path(source) / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def esbuild_binary():
    """The pinned esbuild's command-line entry (a node script), installed on first use."""
    folder = ESBUILD_CACHE / lock_key()
    entry = folder / "node_modules" / "esbuild" / "bin" / "esbuild"
    if entry.exists():
        return entry
    npm = require_tool("npm", "Install Node.js 18+ with npm.")
    ESBUILD_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=ESBUILD_CACHE, prefix=".build-"))
    for name in INPUTS:
        (work / name).write_bytes((SOURCE / name).read_bytes())
    info("npm ci (esbuild, integrity-checked against tools/esbuild/package-lock.json)")
    run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=work, env=clean_env(),
        what="npm ci in tools/esbuild", quiet=True)
    os.replace(work, folder)
    return entry


def bundle_worker(out_dir, web_dir=WEB):
    """Bundle web/worker/worker.js into ``out_dir``/worker/worker.js (+ .map); return its size."""
    node = require_tool("node", "Install Node.js 18+.")
    out = Path(out_dir) / ENTRY
    out.parent.mkdir(parents=True, exist_ok=True)
    run([node, esbuild_binary(), str(Path(web_dir) / ENTRY), *FLAGS, f"--outfile={out}"],
        cwd=ROOT, env=clean_env(), what="esbuild (the worker bundle)")
    _relative_sources(out.with_name(out.name + ".map"), out.parent, Path(web_dir) / ENTRY.parent)
    size = out.stat().st_size
    info(f"worker: {ENTRY.as_posix()} bundled from web/worker/ and web/shared/ ({size / 1024:.0f} KB + source map)")
    return size


def _relative_sources(map_path, out_folder, source_folder):
    """Name the map's sources relative to web/worker/ (e.g. "stages.js", "../shared/protocol.js"),
    not to wherever the site was assembled: the same sources give the same bytes (and build id)."""
    source_map = json.loads(map_path.read_text())
    source_map["sources"] = [
        Path(os.path.relpath((out_folder / s).resolve(), Path(source_folder).resolve())).as_posix()
        for s in source_map["sources"]]
    map_path.write_text(json.dumps(source_map))
