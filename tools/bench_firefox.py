"""Ready in Firefox ESR on first and repeat visits, for the benchmark (medians of ``rounds``).

Runs tests/engines/bench_ready.mjs (puppeteer-core) against site/ served on a free port; the
same measure as tools/bench_web.py's Chromium visits (ms from navigation start to pynn.ready,
a fresh profile per round). Wire it into the benchmark with ``measure_firefox_ready()``.
"""
import json
import statistics
import subprocess

from tools.engines import ENGINES, ensure_engines, ensure_node_modules, serve_site
from tools.env import BuildError, clean_env, require_tool


def measure_firefox_ready(rounds=3):
    """{"first_ms": [...], "repeat_ms": [...], "repeat_snapshot": [...], "browser", medians}."""
    ensure_engines()
    ensure_node_modules()
    server, url = serve_site()
    try:
        done = subprocess.run([require_tool("node", "Install Node.js 18+."), ENGINES / "bench_ready.mjs", f"{url}/",
                               str(rounds)], cwd=ENGINES, env=clean_env(), capture_output=True, text=True,
                              timeout=300 * rounds)
    finally:
        server.shutdown()
        server.server_close()
    if done.returncode:
        raise BuildError(f"Firefox Ready benchmark failed: {done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["first_median_ms"] = statistics.median(out["first_ms"])
    out["repeat_median_ms"] = statistics.median(out["repeat_ms"])
    return out


if __name__ == "__main__":
    print(json.dumps(measure_firefox_ready(), indent=1))
