"""The static server: the MIME types a browser needs (module scripts, WebAssembly), validators
with no-cache (304 for an unchanged file, 200 with the new bytes for a changed one), and no file
outside the site, however the path is written."""
import http.client
import os
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
    "data/mnist/train-0.u8.gz": "application/gzip",
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


def get(server, path, **headers):
    """Send ``path`` exactly as written (with ``headers``: If_None_Match="..." etc.); return
    (status, headers, body)."""
    conn = http.client.HTTPConnection(server[0], server[1], timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
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


def test_every_answer_is_revalidated_so_a_rebuilt_site_is_fresh(server):
    status, headers, _ = get(server, "/build.json")
    assert status == 200
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"] and headers["Last-Modified"]


def test_an_unchanged_file_is_304_without_a_body_and_a_changed_one_is_sent(server):
    _, first, body = get(server, "/main.js")
    status, headers, again = get(server, "/main.js", If_None_Match=first["ETag"])
    assert (status, again, headers["ETag"]) == (304, b"", first["ETag"])
    status, _, again = get(server, "/main.js", If_Modified_Since=first["Last-Modified"])
    assert (status, again) == (304, b"")
    status, _, again = get(server, "/main.js", If_None_Match='"other"')
    assert (status, again) == (200, body)
    status, headers, again = get(server, "/", If_None_Match=get(server, "/")[1]["ETag"])
    assert (status, again) == (304, b"")

    target = server[2] / "main.js"
    st = target.stat()
    target.write_bytes(b"rebuilt main.js")  # a rebuild within the same second: the ETag still changes
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    try:
        status, headers, again = get(server, "/main.js", If_None_Match=first["ETag"])
        assert (status, again) == (200, b"rebuilt main.js")
        assert headers["ETag"] != first["ETag"]
    finally:
        target.write_bytes(body)


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
