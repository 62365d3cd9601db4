"""Pinned downloads with the ordinary clients (`npm pack`, `pip download`, `apt-get download`) into
.cache, and their verification: npm's sha512 integrity, sha256 of wheels and Debian packages, and
wheels checked against a lock file.

A fresh download is verified in a temporary folder and moved into the cache only if it matches
its pin (tools/pins.py): a tampered or substituted file never reaches the cache.
"""
import base64
import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from tools.env import BuildError, clean_env, info, require_tool, run
from tools.paths import DEB_CACHE, NPM_CACHE, PIP_CACHE
from tools.pins import DEBIAN_PACKAGES, NPM_PACKAGES, PYODIDE_TEST_WHEELS

# ---------------------------------------------------------------------------- hashes

def _digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest


def sha256_file(path):
    """Return the hex sha256 of a file."""
    return _digest(path, "sha256").hexdigest()


def sri_sha512(path):
    """Return the npm-style integrity string ``sha512-<base64>`` of a file."""
    return "sha512-" + base64.b64encode(_digest(path, "sha512").digest()).decode()


def _refuse(what, expected, actual, fresh):
    """The BuildError for a file whose hash is not its pin."""
    if fresh:
        advice = (f"Nothing was written to the cache. The file served is not the one pinned in "
                  f"tools/pins.py: do not use it. If a new version is intended, change its pin.")
    else:
        advice = "Delete the file to download it again; if it persists, do not use it."
    return BuildError(f"{what}: hash mismatch\n   expected {expected}\n   actual   {actual}\n   {advice}")


def _cached(target, expected, digest):
    """``target`` if it is in the cache and ``digest(target)`` equals its pin, None if absent;
    BuildError if it was changed after it was cached."""
    if not target.exists():
        return None
    actual = digest(target)
    if actual != expected:
        raise _refuse(f"cached {target}", expected, actual, fresh=False)
    return target


# ---------------------------------------------------------------------------- npm

def npm_tarball(name, cache_dir=NPM_CACHE, pins=NPM_PACKAGES):
    """Return the cached tarball of a pinned npm package, fetching it with `npm pack`.

    ``pins`` maps a name to (version, integrity); the tarball is kept only if its sha512
    integrity equals the pin. Raises BuildError on a mismatch (nothing written to the cache).
    """
    version, integrity = pins[name]
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{name.replace('/', '-')}-{version}.tgz"
    if _cached(target, integrity, sri_sha512):
        return target
    npm = require_tool("npm", "Install Node.js 18+ with npm.")
    info(f"npm pack {name}@{version}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        run([npm, "pack", f"{name}@{version}", "--pack-destination", tmp, "--silent"],
            cwd=tmp, what=f"npm pack {name}@{version}", quiet=True)
        packed = list(Path(tmp).glob("*.tgz"))
        if len(packed) != 1:
            raise BuildError(f"npm pack {name}@{version} produced {len(packed)} tarballs, expected 1")
        actual = sri_sha512(packed[0])
        if actual != integrity:
            raise _refuse(f"npm pack {name}@{version} ({packed[0].name})", integrity, actual, fresh=True)
        os.replace(packed[0], target)
    return target


# ---------------------------------------------------------------------------- pip

def npm_ci_locked(folder, what):
    """``npm ci`` in ``folder`` (its package-lock.json pins every package with an integrity hash
    that npm checks) unless its git-ignored node_modules was installed from this very lock."""
    folder = Path(folder)
    digest = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / ".pynn-lock.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    npm = require_tool("npm", "Install Node.js 18+ with npm.")
    info(f"npm ci in {folder.name} ({what}, integrity-checked against package-lock.json)")
    run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=folder,
        env=clean_env(), what=f"npm ci in {folder}", quiet=True)
    stamp.write_text(digest + "\n")


def pip_wheel_download(project, version, filename, sha256, cache_dir=PIP_CACHE):
    """Return a cached wheel fetched with `pip download --no-deps`, kept only if its sha256
    equals ``sha256``. Raises BuildError on a mismatch (nothing written to the cache)."""
    cache_dir = Path(cache_dir)
    target = cache_dir / filename
    if _cached(target, sha256, sha256_file):
        return target
    info(f"pip download {project}=={version}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
             "--no-deps", "--only-binary=:all:", "--dest", tmp, f"{project}=={version}"],
            env=clean_env(), what=f"pip download {project}=={version}")
        got = Path(tmp) / filename
        if not got.exists():
            raise BuildError(f"pip download {project}=={version} did not produce {filename}; "
                             f"got {[p.name for p in Path(tmp).iterdir()]}")
        actual = sha256_file(got)
        if actual != sha256:
            raise _refuse(f"pip download {project}=={version} ({filename})", sha256, actual, fresh=True)
        os.replace(got, target)
    return target


def pyodide_test_wheels():
    """Return the verified pure wheels (iniconfig, pluggy, pytest) used inside Pyodide."""
    return [pip_wheel_download(*spec) for spec in PYODIDE_TEST_WHEELS]


# ---------------------------------------------------------------------------- Debian

def debian_package(name, cache_dir=DEB_CACHE, pins=DEBIAN_PACKAGES):
    """Return the cached .deb of a pinned Debian package, fetched with `apt-get download`.

    ``pins`` maps a name to (version, sha256 of the .deb); the file is kept only if its sha256
    equals the pin. Raises BuildError on a mismatch (nothing written to the cache).
    """
    version, sha256 = pins[name]
    cache_dir = Path(cache_dir)
    target = cache_dir / f"{name}_{version}_all.deb"
    if _cached(target, sha256, sha256_file):
        return target
    apt_get = require_tool("apt-get", "The data set comes from a Debian package: build on Debian "
                                      "or Ubuntu, or copy the pinned .deb into " + str(cache_dir))
    info(f"apt-get download {name}={version}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        os.chmod(tmp, 0o755)  # apt's unprivileged downloader may write here
        fetch = lambda: run([apt_get, "download", "-q", f"{name}={version}"], cwd=tmp, quiet=True,  # noqa: E731
                            what=f"apt-get download {name}={version} (run `apt-get update` once first)")
        try:
            fetch()
        except BuildError:
            if not (hasattr(os, "geteuid") and os.geteuid() == 0):
                raise
            # a fresh machine has no package lists yet: update them once (as root) and try again
            run([apt_get, "update", "-q"], quiet=True, what="apt-get update")
            fetch()
        debs = list(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise BuildError(f"apt-get download {name}={version} produced {len(debs)} files, expected 1")
        actual = sha256_file(debs[0])
        if actual != sha256:
            raise _refuse(f"apt-get download {name}={version} ({debs[0].name})", sha256, actual,
                          fresh=True)
        os.replace(debs[0], target)
    return target


# ---------------------------------------------------------------------------- archives

def extract_member(tar, member_name, dest):
    """Copy one regular file out of an open tarfile to ``dest``."""
    try:
        member = tar.getmember(member_name)
    except KeyError:
        raise BuildError(f"{member_name} is missing from {tar.name}") from None
    if not member.isfile():
        raise BuildError(f"{member_name} in {tar.name} is not a regular file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tar.extractfile(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)


def extract_locked_wheels(archive_path, prefix, lock, names, out_dir, lock_name="pyodide-lock.json"):
    """Copy the wheels of packages ``names`` out of a zip archive into ``out_dir``, each only
    if its sha256 equals the lock's (``lock["packages"][name]["sha256"]``).

    The archive holds them at ``prefix + file_name``. Returns the file names written. Raises
    BuildError (and writes nothing for that file) when one is missing or does not match.
    """
    archive_path = Path(archive_path)
    written = []
    with zipfile.ZipFile(archive_path) as archive:
        for name in names:
            entry = lock["packages"][name]
            filename, expected = entry["file_name"], entry["sha256"]
            try:
                data = archive.read(prefix + filename)
            except KeyError:
                raise BuildError(f"{filename} is not inside {archive_path.name} "
                                 f"(looked for {prefix}{filename})") from None
            actual = hashlib.sha256(data).hexdigest()
            if actual != expected:
                raise BuildError(
                    f"sha256 mismatch for {filename} (from {archive_path.name}):\n"
                    f"   expected {expected} ({lock_name} packages.{name}.sha256)\n"
                    f"   actual   {actual}\n   The build stops: this file is not the one "
                    f"{lock_name} was made for, and it was not written.")
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / filename).write_bytes(data)
            info(f"{filename}: sha256 matches {lock_name}")
            written.append(filename)
    return written
