"""site/vendor: third-party browser files, self-hosted from their npm tarballs (Chart.js, fflate)."""
import tarfile

from tools.downloads import extract_member, npm_tarball
from tools.env import info
from tools.pins import NPM_PACKAGES


def build_chartjs(out_dir):
    """Write chart.umd.min.js and Chart.js's license into ``out_dir``."""
    tgz = npm_tarball("chart.js")
    with tarfile.open(tgz) as tar:
        extract_member(tar, "package/dist/chart.umd.min.js", out_dir / "chart.umd.min.js")
        extract_member(tar, "package/LICENSE.md", out_dir / "chart.js-LICENSE.md")
    info(f"Chart.js {NPM_PACKAGES['chart.js'][0]} (tarball integrity verified)")


def build_fflate(out_dir):
    """Write fflate's ESM browser build (as fflate.mjs: a module everywhere, Node included) and its
    license into ``out_dir``. The page loads it on first use of a zip (web/page/datasets/)."""
    tgz = npm_tarball("fflate")
    with tarfile.open(tgz) as tar:
        extract_member(tar, "package/esm/browser.js", out_dir / "fflate.mjs")
        extract_member(tar, "package/LICENSE", out_dir / "fflate-LICENSE")
    info(f"fflate {NPM_PACKAGES['fflate'][0]} (tarball integrity verified)")
