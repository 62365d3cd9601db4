"""site/vendor/codemirror.js: CodeMirror 6 for the Code panel, bundled by esbuild into one
self-hosted ES module, with the bundled packages' licenses next to it.

The packages are pinned in tools/editor/package.json and package-lock.json; ``npm ci`` installs
exactly the lock and verifies every tarball's sha512 integrity field, so a substituted package
fails the build. The bundle is cached in .cache/editor/<key>/, where the key is a sha256 over
the lock, package.json, the entry module and the esbuild flags: a rebuild with the same inputs
copies two files and runs nothing.
"""
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from tools.env import BuildError, clean_env, info, require_tool, run
from tools.paths import CACHE, ROOT

SOURCE = ROOT / "tools" / "editor"
INPUTS = ("package.json", "package-lock.json", "entry.js")
EDITOR_CACHE = CACHE / "editor"
BUNDLE = "codemirror.js"
LICENSES = "codemirror-LICENSES.txt"
ESBUILD_FLAGS = ("--bundle", "--format=esm", "--minify", "--target=es2020",
                 "--legal-comments=none", "--log-level=warning")
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE")


def cache_key(source=SOURCE):
    """16 hex chars of a sha256 over the pinned inputs and the bundler flags."""
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update(name.encode() + b"\0" + (Path(source) / name).read_bytes() + b"\0")
    digest.update(" ".join(ESBUILD_FLAGS).encode())
    return digest.hexdigest()[:16]


def bundled_packages(metafile):
    """The npm package names whose files esbuild put into the bundle (from its metafile)."""
    names = set()
    for path in json.loads(Path(metafile).read_text())["inputs"]:
        parts = Path(path).parts
        if "node_modules" not in parts:
            continue
        rest = parts[len(parts) - parts[::-1].index("node_modules"):]
        names.add("/".join(rest[:2]) if rest[0].startswith("@") else rest[0])
    return sorted(names)


def license_text(node_modules, names):
    """One text with each bundled package's name, version and license file."""
    parts = ["Third-party code in codemirror.js (bundled from npm by tools/editor.py):\n"]
    for name in names:
        folder = Path(node_modules) / name
        meta = json.loads((folder / "package.json").read_text())
        found = [folder / n for n in LICENSE_NAMES if (folder / n).exists()]
        if not found:
            raise BuildError(f"{name} {meta['version']} has no license file in its package; "
                             f"the bundle cannot ship it without one.")
        parts.append(f"\n{'=' * 72}\n{name} {meta['version']} ({meta.get('license', '?')})\n"
                     f"{'=' * 72}\n{found[0].read_text()}")
    return "".join(parts)


def _bundle(target):
    """Install the lock with ``npm ci`` in a temporary folder, bundle, and move the two files
    into ``target`` (only once both exist)."""
    npm = require_tool("npm", "Install Node.js 18+ with npm.")
    node = require_tool("node", "Install Node.js 18+.")
    EDITOR_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=EDITOR_CACHE, prefix=".build-") as tmp:
        work = Path(tmp)
        for name in INPUTS:
            shutil.copy2(SOURCE / name, work / name)
        info("npm ci (CodeMirror 6 + esbuild, integrity-checked against package-lock.json)")
        run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=work,
            env=clean_env(), what="npm ci in tools/editor", quiet=True)
        meta = work / "meta.json"
        run([node, work / "node_modules" / "esbuild" / "bin" / "esbuild", "entry.js",
             *ESBUILD_FLAGS, f"--outfile={BUNDLE}", f"--metafile={meta.name}"], cwd=work,
            env=clean_env(), what="esbuild (CodeMirror bundle)")
        (work / LICENSES).write_text(license_text(work / "node_modules", bundled_packages(meta)))
        staged = work / "out"
        staged.mkdir()
        for name in (BUNDLE, LICENSES):
            os.replace(work / name, staged / name)
        os.replace(staged, target)


def build_editor(out_dir):
    """Write codemirror.js and its licenses into ``out_dir`` (a site's vendor/ folder)."""
    key = cache_key()
    cached = EDITOR_CACHE / key
    if not (cached / BUNDLE).exists():
        _bundle(cached)
        state = "bundled"
    else:
        state = "cached"
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for name in (BUNDLE, LICENSES):
        shutil.copy2(cached / name, Path(out_dir) / name)
    size = (cached / BUNDLE).stat().st_size
    info(f"CodeMirror 6: vendor/{BUNDLE} ({size / 1024:.0f} KB, {state}, key {key})")
    return size
