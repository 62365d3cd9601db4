"""The data sets at build time (tools/datasets.py): a file whose hash is not its pin is refused
and nothing is cached, idx headers are checked, class counts are checked, shards round-trip."""
import gzip
import hashlib
import sys

import numpy as np
import pytest

from tools import datasets, downloads
from tools.env import BuildError


def idx_bytes(array, magic):
    """An idx file of a uint8 array: big-endian magic number, one size per dimension, data."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


# ---------------------------------------------------------------------------- idx parsing

def test_idx_images_and_labels_parse():
    images = np.arange(3 * 4 * 5).reshape(3, 4, 5) % 256
    labels = np.array([7, 0, 9])
    np.testing.assert_array_equal(datasets.parse_idx(idx_bytes(images, 0x0803), "images"), images)
    np.testing.assert_array_equal(datasets.parse_idx(idx_bytes(labels, 0x0801), "labels"), labels)


@pytest.mark.parametrize("data, part, expected", [
    (idx_bytes(np.zeros(4), 0x0803), "labels", r"magic number 0x00000803, expected 0x00000801"),
    (idx_bytes(np.zeros((2, 3, 3)), 0x0801), "images", r"magic number 0x00000801, expected 0x00000803"),
    (idx_bytes(np.zeros((2, 3, 3)), 0x0D03), "images", r"magic number 0x00000d03"),  # float32 values
    (idx_bytes(np.zeros((2, 3, 3)), 0x0803)[:-1], "images",
     r"announces 2 x 3 x 3 = 18 values but the file holds 17 \(truncated"),
    (idx_bytes(np.zeros(5), 0x0801) + b"\0", "labels", r"announces 5 = 5 values but the file holds 6"),
    (b"\0\0\x08\x03\0\0", "images", r"6 bytes, too short for an idx header of 3 dimension"),
])
def test_a_bad_idx_header_is_refused(data, part, expected):
    with pytest.raises(BuildError, match=expected):
        datasets.parse_idx(data, part, name="demo")


def test_an_idx_file_whose_hash_is_not_its_pin_is_refused():
    good = idx_bytes(np.array([1, 2, 3]), 0x0801)
    pins = {"demo": {("test", "labels"): hashlib.sha256(good).hexdigest()}}
    assert datasets.verified_idx("demo", "test", "labels", good, pins).tolist() == [1, 2, 3]
    tampered = idx_bytes(np.array([1, 2, 4]), 0x0801)
    with pytest.raises(BuildError) as error:
        datasets.verified_idx("demo", "test", "labels", tampered, pins)
    message = str(error.value)
    assert "demo t10k-labels-idx1-ubyte: sha256 mismatch" in message
    assert f"expected {pins['demo'][('test', 'labels')]}" in message
    assert f"actual   {hashlib.sha256(tampered).hexdigest()}" in message


def test_class_counts_must_be_the_published_ones():
    dataset = {"id": "demo", "side": 2, "counts": {"test": [2, 1]}}
    datasets.check_split(dataset, "test", np.zeros((3, 2, 2), np.uint8), np.array([0, 1, 0], np.uint8))
    with pytest.raises(BuildError, match=r"demo test: samples per class \[1, 2\], expected \[2, 1\]"):
        datasets.check_split(dataset, "test", np.zeros((3, 2, 2), np.uint8), np.array([0, 1, 1], np.uint8))
    with pytest.raises(BuildError, match="label 5 outside the 2 classes"):
        datasets.check_split(dataset, "test", np.zeros((3, 2, 2), np.uint8), np.array([0, 5, 0], np.uint8))
    with pytest.raises(BuildError, match=r"expected \(n, 2, 2\) and \(n,\)"):
        datasets.check_split(dataset, "test", np.zeros((3, 3, 3), np.uint8), np.array([0, 1, 0], np.uint8))


def test_every_data_set_is_pinned_and_complete():
    for d in datasets.DATASETS:
        assert set(datasets.IDX_SHA256[d["id"]]) == {(s, p) for s in datasets.SPLITS for p in datasets.PARTS}
        assert len(d["classes"]) == len(d["counts"]["train"]) == len(d["counts"]["test"])
        assert d["model"] == f"models/{d['id']}.json" and d["source"] and d["license"]


# ---------------------------------------------------------------------------- shards

def test_shards_round_trip_and_are_deterministic(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(25_000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=25_000, dtype=np.uint8)
    datasets.write_shards(tmp_path, "train", images, labels)
    names = datasets.shard_names(tmp_path, "train")
    assert names == ["train-0.u8.gz", "train-1.u8.gz", "train-2.u8.gz"]
    got = []
    for name, count in zip(names, (10_000, 10_000, 5_000)):
        packed = (tmp_path / name).read_bytes()
        assert packed[4:8] == b"\0\0\0\0", "gzip mtime is not 0"
        got.append(datasets.read_shard(gzip.decompress(packed), count, 28))
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]), images)
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), labels)
    again = tmp_path / "again"
    again.mkdir()
    datasets.write_shards(again, "train", images, labels)
    assert all((again / n).read_bytes() == (tmp_path / n).read_bytes() for n in names)


def test_a_shard_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match=r"a shard of 3 samples of 2x2 holds 15 bytes; got 14"):
        datasets.read_shard(b"\0" * 14, 3, 2)


# ---------------------------------------------------------------------------- Debian (sha256)

@pytest.fixture
def fake_apt_get(tmp_path, monkeypatch):
    """An ``apt-get`` first on PATH whose ``download NAME=VERSION`` writes NAME_VERSION_all.deb
    into its working folder with the bytes set by the returned function."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    content = tmp_path / "deb-content"
    script = bin_dir / "apt-get"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "name, version = sys.argv[-1].split('=')\n"
        f"data = open({str(content)!r}, 'rb').read()\n"
        "open(f'{name}_{version}_all.deb', 'wb').write(data)\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return content.write_bytes


def test_debian_package_matching_its_pin_is_cached(tmp_path, fake_apt_get, tree):
    fake_apt_get(b"genuine deb")
    pins = {"demo": ("1.0-1", hashlib.sha256(b"genuine deb").hexdigest())}
    got = downloads.debian_package("demo", cache_dir=tmp_path / "cache", pins=pins)
    assert got.name == "demo_1.0-1_all.deb"
    assert tree(tmp_path / "cache") == {"demo_1.0-1_all.deb": b"genuine deb"}


def test_tampered_debian_package_is_refused_and_not_cached(tmp_path, fake_apt_get):
    fake_apt_get(b"tampered deb")
    pin = hashlib.sha256(b"genuine deb").hexdigest()
    with pytest.raises(BuildError) as error:
        downloads.debian_package("demo", cache_dir=tmp_path / "cache", pins={"demo": ("1.0-1", pin)})
    message = str(error.value)
    assert "apt-get download demo=1.0-1" in message and f"expected {pin}" in message
    assert "Nothing was written to the cache" in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_tampered_cached_debian_package_is_refused(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "demo_1.0-1_all.deb").write_bytes(b"changed after it was cached")
    monkeypatch.setenv("PATH", str(tmp_path / "no-apt-here"))  # must not try to download
    with pytest.raises(BuildError, match=r"cached .*demo_1\.0-1_all\.deb: hash mismatch"):
        downloads.debian_package("demo", cache_dir=cache,
                                 pins={"demo": ("1.0-1", hashlib.sha256(b"genuine").hexdigest())})
