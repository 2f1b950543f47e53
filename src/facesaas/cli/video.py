"""``facesaas video judge``: judge a recorded clip as the H5 video liveness service would
(docs/liveness.md), in-process, to try the judgement on clips from your own devices."""

from __future__ import annotations

from pathlib import Path

import click

from facesaas.cli.common import echo_json

__all__ = ["video"]


@click.group()
def video() -> None:
    """H5 video liveness clips."""


@video.command("judge")
@click.argument("clip", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--actions", required=True, help="The requested actions in order, comma-separated: blink, mouth_open, turn_left, turn_right, nod.")
@click.option("--level", type=click.Choice(["high", "medium", "low"]), default="medium", show_default=True,
              help="Level of anti-picture, eye blockage and darkness (anti-screen: high, or low with --level low).")
@click.option("--with-frame", is_flag=True, help="Keep the best frame's JPEG (base64) in the output.")
def video_judge(clip: Path, actions: str, level: str, with_frame: bool) -> None:
    """Judge CLIP (WebM or MP4) against ACTIONS; prints video_liveness_result as JSON. Exit
    status 0 when live, 1 when not, 2 for a clip that cannot be read."""
    import sys

    from facesaas.errors import FaceSaaSError
    from facesaas.face.calibration import load_calibration
    from facesaas.face.engine import get_engine
    from facesaas.face.mesh import get_mesh
    from facesaas.imaging.video import VideoLimits, decode_video
    from facesaas.liveness.motion import ACTIONS
    from facesaas.liveness.video import VideoOptions, judge_clip
    from facesaas.settings import Settings

    wanted = tuple(name.strip() for name in actions.split(",") if name.strip())
    if not wanted or any(name not in ACTIONS for name in wanted):
        raise click.BadParameter(f"actions must be from {', '.join(ACTIONS)}", param_hint="--actions")
    settings = Settings()
    levels = {"anti_screen": "low" if level == "low" else "high", "anti_picture": level,
              "anti_eye_blockage": level, "dark_illumination": level}  # fmt: skip
    try:
        decoded = decode_video(clip.read_bytes(), VideoLimits(settings.max_video_bytes, settings.max_video_seconds))
        engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
        result = judge_clip(engine, get_mesh(settings.inference_threads),
                            load_calibration(engine.scheme.name), decoded, VideoOptions(wanted, levels))  # fmt: skip
    except FaceSaaSError as exc:
        echo_json({"rtn": exc.rtn, "message": exc.client_message})
        sys.exit(2)
    if not with_frame:
        result.pop("best_frame_image_content", None)
    echo_json(result)
    sys.exit(0 if result["is_live"] else 1)
