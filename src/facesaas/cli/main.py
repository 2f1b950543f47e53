"""The ``facesaas`` command: a thin click layer over the library.

Every command takes ``--data-dir`` (default ``$FACESAAS_DATA_DIR`` or ./facesaas-data).
Results are printed as JSON where a program may read them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from facesaas.cli.audit import audit
from facesaas.cli.billing import price, review, usage
from facesaas.cli.calibrate import calibrate
from facesaas.cli.common import (
    b64_file,
    data_dir_option,
    echo_json,
    fail,
    remote_client,
    remote_options,
    settings_for,
    vault_for,
)
from facesaas.cli.operator import operator
from facesaas.cli.package import package
from facesaas.cli.repo import repo, search
from facesaas.cli.secrets import secrets
from facesaas.cli.tenant import tenant
from facesaas.cli.video import video
from facesaas.errors import ConfigurationError, FaceSaaSError, errors_markdown
from facesaas.settings import Settings

__all__ = ["cli"]


@click.group()
@click.version_option(package_name="facesaas")
def cli() -> None:
    """FaceSaaS: self-hosted face recognition with the FaceSaaS manual's HTTP API."""


# --- serve ------------------------------------------------------------------------------


@cli.command()
@data_dir_option
@click.option("--host", default=None, help="Interface (FACESAAS_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (FACESAAS_PORT, default 9500).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes on this host (FACESAAS_WORKERS, default 1); more than one needs FACESAAS_REDIS_URL "
                   "and a shared FACESAAS_VECTOR_URL (docs/deploy.md).")
def serve(data_dir: Path | None, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP service (creates the server key pair on first start). SIGTERM finishes the
    requests in flight (up to FACESAAS_SHUTDOWN_GRACE_SECONDS) before the process exits."""
    import uvicorn

    from facesaas.api.app import create_app
    from facesaas.api.observability import configure_logging
    from facesaas.auth.keys import init_keys, keys_exist

    settings = settings_for(data_dir, host=host, port=port, workers=workers)
    problem = settings.multi_process_problem()
    if problem:
        fail(ConfigurationError(problem))
    from facesaas.repositories.factory import check_index_free

    try:
        check_index_free(settings)  # a second service on one data directory stops here, clearly
    except ConfigurationError as exc:
        fail(exc)
    vault = vault_for(settings)  # refuses a staging/production start without FACESAAS_MASTER_KEY
    if not keys_exist(settings.keys_dir):
        init_keys(settings.keys_dir, vault)
        click.echo(f"created a 2048-bit server key pair in {settings.keys_dir}")
    base = f"http://{settings.host}:{settings.port}"
    command = sys.argv[0] if sys.argv[0].endswith("facesaas") else "facesaas"  # e.g. .venv/bin/facesaas
    click.echo(
        f"FaceSaaS on {base}  (API docs: {base}/docs, data: {settings.data_dir.resolve()}, workers: {settings.workers}, cluster: {settings.cluster})\n"
        "Call it:\n"
        f"  1. {command} tenant create demo --json --data-dir {settings.data_dir}   # AccessID, AccessKey, public key, package key\n"
        "  2. from facesaas.sdk import Client, build_package\n"
        f"     c = Client('{base}', access_id, access_key, public_key_pem)\n"
        "     c.face_pair_verification(query_image=open('a.jpg','rb').read(), database_image=open('b.jpg','rb').read())\n"
        "     c.register_in_repo('blacklist', 'b001', label=1, image=open('b.jpg','rb').read())\n"
        "     c.retrieval_in_repo(label=1, repo_name='blacklist', image=open('a.jpg','rb').read())\n"
        "     c.check_image_package(build_package([open('a.jpg','rb').read()], key=base64.b64decode(package_key), key_id=package_key_id))\n"
        f"  or: {command} compare a.jpg b.jpg --url {base} --access-id ... --access-key ... --public-key {settings.keys_dir}/server_public.pem"
    )
    configure_logging(settings.log_format)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,  # ours (configure_logging): JSON lines with the request id
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    import os
    import tempfile

    # Each worker process builds its app from the environment: pass the options given here.
    os.environ.update(FACESAAS_DATA_DIR=str(settings.data_dir.resolve()), FACESAAS_HOST=settings.host,
                      FACESAAS_PORT=str(settings.port), FACESAAS_WORKERS=str(settings.workers))
    # Metrics of all workers, aggregated by whichever worker /metrics reaches.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="facesaas-metrics-")
    # uvicorn's supervisor kills a worker that does not answer its health ping within the
    # timeout (default 5 s), dropping the connections it serves; on a loaded 2-core host a busy
    # worker can miss 5 s (seen as reset connections in a CI run), so allow 30 s.
    uvicorn.run("facesaas.api.app:worker_app", factory=True, workers=settings.workers,
                timeout_worker_healthcheck=30, **options)  # fmt: skip


# --- keys -------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """The server's RSA key pair."""


@keys.command("init")
@data_dir_option
@click.option("--bits", type=click.Choice(["1024", "2048", "3072", "4096"]), default="2048", show_default=True,
              help="1024 gives the manual's 256-hex-character signatures.")
@click.option("--force", is_flag=True, help="Replace an existing pair (every customer needs the new public key).")
def keys_init(data_dir: Path | None, bits: str, force: bool) -> None:
    """Create the server key pair and print the public key."""
    from facesaas.auth.keys import init_keys

    settings = settings_for(data_dir)
    try:
        created = init_keys(settings.keys_dir, vault_for(settings), bits=int(bits), force=force)
    except ConfigurationError as exc:
        fail(exc)
    click.echo(created.public_pem, nl=False)


@keys.command("show")
@data_dir_option
def keys_show(data_dir: Path | None) -> None:
    """Print the server public key (PEM) to give to customers."""
    from facesaas.auth.keys import load_keys

    settings = settings_for(data_dir)
    try:
        click.echo(load_keys(settings.keys_dir, vault_for(settings)).public_pem, nl=False)
    except ConfigurationError as exc:
        fail(exc)


# --- extract / compare ------------------------------------------------------------------


def _run(path: str, payload: dict[str, Any], url: str | None, access_id: str | None, access_key: str | None,
         public_key: Path | None) -> dict[str, Any]:
    """POST through a server (signed) or run the same service function in-process."""
    if url:
        from facesaas.sdk import ApiError

        with remote_client(url, access_id, access_key, public_key) as client:
            try:
                return client.call(path, payload)
            except ApiError as exc:
                fail(exc)
    from facesaas.documents.ocr import get_ocr
    from facesaas.documents.service import idcard_reader
    from facesaas.face.calibration import load_calibration
    from facesaas.face.engine import get_engine
    from facesaas.inputs import ImageLimits, parse_request
    from facesaas.liveness.infrared import infrared_check
    from facesaas.recognition import ExtractionRequest, VerificationRequest, extract_features, verify_pair
    from facesaas.sdk.client import EXTRACTION_PATH

    settings = Settings()
    engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    limits = ImageLimits.for_one_to_one(settings)
    try:
        if path == EXTRACTION_PATH:
            read_idcard = idcard_reader(lambda: get_ocr(settings.inference_threads))
            result = extract_features(engine, parse_request(ExtractionRequest, payload), limits, read_idcard)
        else:
            request = parse_request(VerificationRequest, payload)
            result = verify_pair(engine, load_calibration(engine.scheme.name), request, limits, infrared_check(engine))
    except FaceSaaSError as exc:
        echo_json({"rtn": exc.rtn, "message": exc.client_message})
        sys.exit(1)
    return {"rtn": 0, "message": "OK", **result}


@cli.command()
@click.argument("image", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--image-type", type=int, default=3, show_default=True, help="Manual image_type (1 ID photo, 3 ID-like photo, ...).")
@click.option("--max-faces", type=click.IntRange(1, 2), default=1, show_default=True)
@click.option("--auto-rotate", is_flag=True)
@click.option("--flip", is_flag=True, help="Also return flip_feature.")
@remote_options
def extract(image: Path, image_type: int, max_faces: int, auto_rotate: bool, flip: bool, **remote: Any) -> None:
    """Extract the feature string of IMAGE (CS201.1)."""
    from facesaas.sdk.client import EXTRACTION_PATH

    payload = {
        "image_content": b64_file(image),
        "image_type": image_type,
        "max_faces_allowed": max_faces,
        "auto_rotate": auto_rotate,
        "flip_image": flip,
    }
    echo_json(_run(EXTRACTION_PATH, payload, **remote))


@cli.command()
@click.argument("query", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("database", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--true-negative-rate", type=click.Choice(["99.9", "99.99", "99.999"]), default="99.99", show_default=True)
@click.option("--database-image-type", type=int, default=1, show_default=True)
@click.option("--query-image-type", type=int, default=301, show_default=True)
@click.option("--auto-rotate", is_flag=True, help="Auto-rotate both images.")
@remote_options
def compare(query: Path, database: Path, true_negative_rate: str, database_image_type: int, query_image_type: int,
            auto_rotate: bool, **remote: Any) -> None:
    """Compare QUERY with DATABASE (CS202.2); pair_verify_result 0 means the same person."""
    from facesaas.sdk.client import VERIFICATION_PATH

    payload = {
        "query_image_content": b64_file(query),
        "query_image_type": query_image_type,
        "database_image_content": b64_file(database),
        "database_image_type": database_image_type,
        "true_negative_rate": true_negative_rate,
        "auto_rotate_for_query": auto_rotate,
        "auto_rotate_for_database": auto_rotate,
        "enable_verify_detail": True,
    }
    echo_json(_run(VERIFICATION_PATH, payload, **remote))


# --- errors (calibrate is in cli/calibrate.py) ------------------------------------------


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the table of docs/errors.md.")
def errors(markdown: bool) -> None:
    """List every error code."""
    from facesaas.errors import ERROR_CLASSES

    if markdown:
        click.echo(errors_markdown(), nl=False)
        return
    for cls in ERROR_CLASSES:
        click.echo(f"{cls.rtn:6d} {cls.http_status}  {cls.message}")


cli.add_command(calibrate)
cli.add_command(repo)
cli.add_command(search)
cli.add_command(package)
cli.add_command(tenant)
cli.add_command(usage)
cli.add_command(review)
cli.add_command(price)
cli.add_command(operator)
cli.add_command(video)
cli.add_command(secrets)
cli.add_command(audit)


def main() -> None:
    cli()
