"""What the access log keeps of a request's path (api/observability.loggable_path)."""

from __future__ import annotations

from pathlib import Path

from facesaas.api.app import create_app
from facesaas.api.observability import loggable_path
from facesaas.settings import Settings


def test_the_services_own_paths_are_logged_whole(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    paths = set(app.openapi()["paths"]) | {route.path for route in app.routes if hasattr(route, "path")}
    assert "/face/v1/algorithm/recognition/face_pair_verification" in paths
    for path in paths:
        if not path.startswith("/h5/"):
            assert loggable_path(path) == path


def test_a_long_client_path_is_cut_to_its_start_and_length() -> None:
    signature = "ab" * 256  # what an RSA-2048 signature looks like in hex
    logged = loggable_path(f"/face/basic/{signature}")
    assert logged == f"/face/basic/{signature[:28]}…(524 characters)"
    assert signature[:64] not in logged


def test_the_h5_page_token_is_never_logged() -> None:
    assert loggable_path("/h5/api/Zm9vYmFyYmF6cXV4cXV1eA/video") == "/h5/api/{token}/video"
