"""The web app's command line: options (each also read from RDR_SEARCH_<NAME>), then build and launch."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdr_search.app.build import build_app
from rdr_search.app.service import AppConfig
from rdr_search.app.sessions import SessionLimits
from rdr_search.app.web import launch_options
from rdr_search.encoders import DEFAULT_PRESET, PRECISIONS, PRESETS, RUNTIMES, EncoderSpec
from rdr_search.errors import LibraryError, ModelLoadError
from rdr_search.index import INDEX_BACKENDS
from rdr_search.settings import Settings

DEFAULT_LIBRARY = "data/library"
DEFAULT_PORT = 7860


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"RDR_SEARCH_{name}", default)


def _env_flag(name: str) -> bool:
    return (_env(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options; each defaults to its RDR_SEARCH_* environment variable."""
    parser = argparse.ArgumentParser(description="rdr-search web app: semantic search over your own documents.")
    parser.add_argument(
        "--host",
        default=_env("HOST"),
        help="Interface to listen on (default: $GRADIO_SERVER_NAME when set, else 127.0.0.1).",
    )
    parser.add_argument("--port", type=int, default=_env("PORT"), help=f"Port (default {DEFAULT_PORT}).")
    parser.add_argument("--library", default=_env("LIBRARY", DEFAULT_LIBRARY), help="Library folder (local mode).")
    _add_pair_options(
        parser, "", f"Encoder pair (default {DEFAULT_PRESET}, or what an existing library was built with)."
    )
    compare = parser.add_argument_group(
        "compare pair", "A second encoder pair for the Compare tab (same passages, its own vectors and index)."
    )
    _add_pair_options(compare, "compare-", "Compare pair preset.")
    parser.add_argument(
        "--model-dir",
        default=_env("MODEL_DIR"),
        help="Folder holding downloaded checkpoints named like the hub repos (offline use).",
    )
    parser.add_argument("--device", default=_env("DEVICE", "auto"), help="auto, cpu, cuda or cuda:N.")
    parser.add_argument(
        "--precision",
        default=_env("PRECISION", "auto"),
        choices=PRECISIONS,
        help="auto (the fastest path proven accurate), fp32 (exact), bf16 or int8 (CPU).",
    )
    parser.add_argument(
        "--runtime",
        default=_env("RUNTIME", "auto"),
        choices=RUNTIMES,
        help="auto (torch, or what an existing library was built with), torch or openvino (CPU; pip install openvino).",
    )
    parser.add_argument(
        "--index",
        default=_env("INDEX", "faiss"),
        choices=INDEX_BACKENDS,
        help="Vector index: faiss (default) or milvus (local mode only; needs the scale extra).",
    )
    parser.add_argument(
        "--index-uri",
        default=_env("INDEX_URI", ""),
        help="Milvus: http://host:19530, or a Milvus Lite .db file (default: milvus.db in the library).",
    )
    parser.add_argument(
        "--session-scoped",
        action="store_true",
        default=_env_flag("SESSION_SCOPED") or bool(os.environ.get("SPACE_ID")),
        help="A private temporary library per browser session (automatic on Spaces).",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=_env("MAX_SESSIONS", str(SessionLimits.max_sessions)),
        help="Session-scoped mode: most private libraries alive at once (least recently used idle ones go first).",
    )
    parser.add_argument(
        "--watch",
        default=_env("WATCH"),
        help="Local mode: keep the library in step with this folder (files added, changed, deleted, renamed).",
    )
    parser.add_argument(
        "--mcp",
        action="store_true",
        default=_env_flag("MCP"),
        help="Also serve the API as MCP tools (needs gradio[mcp]).",
    )
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> AppConfig:
    """The app's configuration; raises ModelLoadError for contradictory encoder options, LibraryError for an
    index backend session-scoped mode cannot use."""
    spec = EncoderSpec.from_options(
        args.preset, args.ctx_encoder, args.question_encoder, args.sentence_encoder, args.model_dir
    )
    compare_options = (
        args.compare_preset,
        args.compare_ctx_encoder,
        args.compare_question_encoder,
        args.compare_sentence_encoder,
    )
    compare_spec = None
    if any(compare_options):  # --model-dir alone must not conjure a compare pair
        try:
            compare_spec = EncoderSpec.from_options(*compare_options, args.model_dir)
        except ModelLoadError as exc:
            message = str(exc).replace("--", "--compare-")  # name the options the user gave
            raise ModelLoadError(f"Compare pair: {message}") from exc
    return AppConfig(
        library_path=Path(args.library).expanduser(),
        encoder_spec=spec,
        compare_spec=compare_spec,
        settings=Settings(
            device=args.device,
            precision=args.precision,
            runtime=args.runtime,
            index_backend=args.index,
            index_uri=args.index_uri,
        ),
        session_scoped=bool(args.session_scoped),
        limits=SessionLimits(max_sessions=max(1, int(args.max_sessions))),
        watch_folder=Path(args.watch).expanduser() if args.watch else None,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options and serve the app until interrupted."""
    args = parse_args(argv)
    # Our messages (a model that failed to load, a sweep of old session folders) reach the terminal once each.
    logging.basicConfig(level=logging.INFO, format="rdr-search: %(message)s")
    for noisy in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        config = config_from_args(args)
    except (ModelLoadError, LibraryError) as exc:
        sys.exit(f"rdr-search: {exc}")
    mcp = bool(args.mcp)
    if mcp:
        try:
            import mcp as _mcp  # noqa: F401  # the extra gradio[mcp] pulls in
        except ImportError:
            print(
                "rdr-search: --mcp needs the MCP extra: pip install 'gradio[mcp]'. Starting without MCP.",
                file=sys.stderr,
            )
            mcp = False
    demo = build_app(config)
    # SIGTERM (a container or Space stopping) ends the server like Ctrl-C, so the exit hooks delete session
    # folders; a SIGKILL leaves them to the sweep at the next start.
    signal.signal(signal.SIGTERM, _interrupt)
    atexit.register(demo.rdr_service.close)  # type: ignore[attr-defined]
    # Spaces sets GRADIO_SERVER_NAME; otherwise stay on localhost unless asked.
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = args.port or int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT))
    demo.launch(server_name=host, server_port=int(port), mcp_server=mcp, **launch_options(config))


def _interrupt(signum: int, frame: object) -> None:
    # A second SIGTERM (e.g. from a wrapper that forwards it) must not break the shutdown the first began.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _add_pair_options(group: Any, prefix: str, preset_help: str) -> None:
    """--[compare-]preset, -ctx-encoder, -question-encoder and -sentence-encoder, each read from its env var."""
    what = "Compare context" if prefix else "Context"
    env = prefix.replace("-", "_").upper()
    group.add_argument(f"--{prefix}preset", default=_env(f"{env}PRESET"), choices=sorted(PRESETS), help=preset_help)
    group.add_argument(
        f"--{prefix}ctx-encoder", default=_env(f"{env}CTX_ENCODER"), help=f"{what} encoder: hub id or folder."
    )
    group.add_argument(
        f"--{prefix}question-encoder",
        default=_env(f"{env}QUESTION_ENCODER"),
        help=f"{'Compare question' if prefix else 'Question'} encoder: hub id or folder.",
    )
    group.add_argument(
        f"--{prefix}sentence-encoder",
        default=_env(f"{env}SENTENCE_ENCODER"),
        help="One local sentence-transformers folder for questions and passages"
        + (" as the compare pair." if prefix else "."),
    )
