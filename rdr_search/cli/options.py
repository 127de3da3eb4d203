"""Options shared by the commands, defined once: the library folder and the encoder options.

Every command that loads encoders takes the same ``--preset/--ctx-encoder/.../--precision`` options. They are
declared here as one :class:`EncoderOptions` and added to a command by :func:`encoder_options`, which hands
the command one ``encoders: EncoderOptions`` argument instead of seven. Each option also reads its
``RDR_SEARCH_*`` environment variable, as the web app's options do.

Nothing here imports torch: encoders load only when a command runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from rdr_search.settings import Settings

if TYPE_CHECKING:
    from rdr_search.encoders import EncoderSpec
    from rdr_search.library import Library

DEFAULT_LIBRARY = Path("data/library")

# The names match rdr_search.encoders (PRESETS, PRECISIONS); a test keeps them in step without this module
# importing torch.
PRESET_HELP = "Encoder pair: rdr-nq (default), rdr-trivia, dpr-nq, dpr-multiset."
INDEX_HELP = "Vector index: faiss (default, a file in the library) or milvus (needs the scale extra)."
INDEX_URI_HELP = "Milvus: http://host:19530 (server, cluster) or a Milvus Lite .db file (default: in the library)."
PRECISION_HELP = (
    "auto (bf16 where the CPU has it, else fp32; int8 with --runtime openvino on CPUs with VNNI), "
    "fp32 (exact), bf16 or int8 (CPU only)."
)
RUNTIME_HELP = "auto (torch, or what the library was built with), torch, or openvino (CPU; pip install openvino)."

LibraryOption = Annotated[Path, typer.Option("--library", "-l", envvar="RDR_SEARCH_LIBRARY", help="Library folder.")]

_OPTIONS: dict[str, Any] = {
    "preset": Annotated[str | None, typer.Option("--preset", envvar="RDR_SEARCH_PRESET", help=PRESET_HELP)],
    "ctx_encoder": Annotated[
        str | None,
        typer.Option("--ctx-encoder", envvar="RDR_SEARCH_CTX_ENCODER", help="Context encoder: hub id or folder."),
    ],
    "question_encoder": Annotated[
        str | None,
        typer.Option(
            "--question-encoder", envvar="RDR_SEARCH_QUESTION_ENCODER", help="Question encoder: hub id or folder."
        ),
    ],
    "sentence_encoder": Annotated[
        str | None,
        typer.Option(
            "--sentence-encoder",
            envvar="RDR_SEARCH_SENTENCE_ENCODER",
            help="One sentence-transformers model folder for questions and passages (instead of a DPR pair).",
        ),
    ],
    "model_dir": Annotated[
        Path | None,
        typer.Option(
            "--model-dir",
            envvar="RDR_SEARCH_MODEL_DIR",
            help="Folder holding downloaded checkpoints named like the hub repos (offline use).",
        ),
    ],
    "device": Annotated[str, typer.Option("--device", envvar="RDR_SEARCH_DEVICE", help="auto, cpu, cuda or cuda:N.")],
    "precision": Annotated[str, typer.Option("--precision", envvar="RDR_SEARCH_PRECISION", help=PRECISION_HELP)],
    "runtime": Annotated[str, typer.Option("--runtime", envvar="RDR_SEARCH_RUNTIME", help=RUNTIME_HELP)],
    "index": Annotated[str, typer.Option("--index", envvar="RDR_SEARCH_INDEX", help=INDEX_HELP)],
    "index_uri": Annotated[str, typer.Option("--index-uri", envvar="RDR_SEARCH_INDEX_URI", help=INDEX_URI_HELP)],
}


@dataclass(frozen=True)
class EncoderOptions:
    """What the command line says about encoders; fields a command does not offer keep their defaults."""

    preset: str | None = None
    ctx_encoder: str | None = None
    question_encoder: str | None = None
    sentence_encoder: str | None = None
    model_dir: Path | None = None
    device: str = "auto"
    precision: str = "auto"
    runtime: str = "auto"
    index: str = "faiss"
    index_uri: str = ""

    def spec(self) -> EncoderSpec | None:
        """The pair these options name; None when they name none (the library's own pair, or the default)."""
        from rdr_search.encoders import EncoderSpec

        return EncoderSpec.from_options(
            self.preset, self.ctx_encoder, self.question_encoder, self.sentence_encoder, self.model_dir
        )

    def settings(self) -> Settings:
        """Settings carrying the device, precision, runtime and index backend."""
        return Settings(
            device=self.device,
            precision=self.precision,
            runtime=self.runtime,
            index_backend=self.index,
            index_uri=self.index_uri,
        )

    def open_library(self, folder: Path) -> Library:
        """Open (or create) the library at ``folder`` with these encoders."""
        from rdr_search.library import Library

        return Library.open(folder, self.spec(), self.settings())


ALL_ENCODER_OPTIONS: tuple[str, ...] = tuple(f.name for f in fields(EncoderOptions))
"""Every encoder option, for commands that encode or search."""
LOADING_OPTIONS: tuple[str, ...] = ("model_dir", "device", "index", "index_uri")
"""The options that only say where models are and where they run, and where vectors are searched (a library
keeps its own pair)."""

Command = TypeVar("Command", bound=Callable[..., Any])


def encoder_options(*names: str) -> Callable[[Command], Command]:
    """Decorate a command that takes ``encoders: EncoderOptions``: typer sees the named options (all by
    default) as parameters of their own, and the command receives them gathered in one :class:`EncoderOptions`.
    """
    chosen = names or ALL_ENCODER_OPTIONS
    unknown = set(chosen) - set(_OPTIONS)
    if unknown:
        raise ValueError(f"not encoder options: {sorted(unknown)}")
    defaults = EncoderOptions()

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "encoders"]
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=getattr(defaults, name), annotation=_OPTIONS[name]
            )
            for name in chosen
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            gathered = EncoderOptions(**{name: kwargs.pop(name) for name in chosen})
            return command(*args, encoders=gathered, **kwargs)

        # typer reads the signature (not the wrapped function's) to build the command's options.
        parameters = own + added
        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` in red on stderr; the caller raises the returned exit."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)
