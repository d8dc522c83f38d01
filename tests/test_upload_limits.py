"""The server's upload limit must let every widget's own limit through: Streamlit's upload
route answers 413 to anything over server.maxUploadSize, whatever a file_uploader's
max_upload_size says (streamlit/web/server/starlette/starlette_routes.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from digitstudio.drawing.photo import MAX_BYTES as PHOTO_BYTES
from digitstudio.storage.model_files import MAX_UPLOAD_BYTES as MODEL_BYTES

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_server_limit_admits_the_largest_widget_limit():
    server_mb = tomllib.loads(CONFIG.read_text())["server"]["maxUploadSize"]
    assert server_mb * 2**20 >= max(PHOTO_BYTES, MODEL_BYTES)
