"""The static server: the MIME types a browser needs (module scripts, WebAssembly), no caching,
and no file outside the site, however the path is written."""
import http.client
import threading
import urllib.parse

import pytest

from tools.serve import make_server

FILES = {
    "index.html": "text/html; charset=utf-8",
    "main.js": "text/javascript; charset=utf-8",
    "pyodide/pyodide.mjs": "text/javascript; charset=utf-8",
    "pyodide/pyodide.asm.wasm": "application/wasm",
    "pyodide/python_stdlib.zip": "application/zip",
    "pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl": "application/octet-stream",
    "wheels/py_nn-0.1.0-py3-none-any.whl": "application/octet-stream",
    "data/mnist-images.u8": "application/octet-stream",
    "build.json": "application/json",
    "style.css": "text/css; charset=utf-8",
}
SECRET = b"outside the site: never served"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(host, port, site folder, secret file next to it) of a running server."""
    root = tmp_path_factory.mktemp("serve")
    site = root / "site"
    for name in FILES:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(f"content of {name}".encode())
    secret = root / "secret.txt"
    secret.write_bytes(SECRET)
    srv = make_server(site, 0, quiet=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[0], srv.server_address[1], site, secret
    srv.shutdown()
    srv.server_close()


def get(server, path):
    """Send ``path`` exactly as written; return (status, headers, body)."""
    conn = http.client.HTTPConnection(server[0], server[1], timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()  # headers: case-insensitive
    finally:
        conn.close()


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_file_is_served_with_its_mime_type(server, name):
    status, headers, body = get(server, f"/{name}")
    assert status == 200
    assert headers["Content-Type"] == FILES[name]
    assert body == f"content of {name}".encode()


def test_nothing_is_cached_so_a_rebuilt_site_is_fresh(server):
    status, headers, _ = get(server, "/build.json")
    assert status == 200
    assert headers["Cache-Control"] == "no-cache, no-store, must-revalidate"


def test_the_folder_serves_its_index(server):
    status, headers, body = get(server, "/")
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", b"content of index.html")


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/pyodide/../../secret.txt",
    "/pyodide/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/./.././secret.txt",
    "ABSOLUTE",
])
def test_no_path_reaches_a_file_outside_the_site(server, path):
    if path == "ABSOLUTE":
        path = "/" + urllib.parse.quote(str(server[3]), safe="")
    status, _, body = get(server, path)
    assert status == 404
    assert SECRET not in body


def test_a_missing_file_is_404(server):
    status, _, _ = get(server, "/models/none.json")
    assert status == 404


def test_a_busy_port_is_a_clear_error(server):
    with pytest.raises(OSError):
        make_server(server[2], server[1], quiet=True)
