#!/bin/sh
# The Code panel's small additive edits to the frontend branch's files (session.js, pynn.js,
# fit-progress.js, panels/train.js, panels/models.js, main.js, index.html, style.css), to apply
# once `frontend` is merged: run from the repository root, then delete this folder.
set -e
python3 tools/editor/frontend-hunks/session.py web/session.js
python3 tools/editor/frontend-hunks/front.py .
python3 tools/editor/frontend-hunks/html.py web/index.html web/style.css
