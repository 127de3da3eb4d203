"""End-to-end ingest of a ~100-page PDF through ``Library.add_files``: time to the first searchable passage,
to the whole document, and the time split by phase.

The PDF (generated with fpdf2) holds real English text: squad-dev-a paragraphs. The encoder pair is the
BERT-base DPR stand-in (``DPRConfig()`` defaults, random weights: RDR's exact architecture and cost) on the
default path (``Settings()``: precision "auto"). "First searchable" is measured from outside: a second thread
searches the library (keyword mode, as a person would while the add runs) every 20 ms from the moment
``add_files`` is called (the end of the upload) until a hit comes back. Phases are timed by wrapping the
library's own pieces (reading, chunking, encoding, store commit, index update); nothing in the library is changed.

    python -m benchmarks.bench_ingest                    # ~100 pages
    python -m benchmarks.bench_ingest --pages 10 --precision fp32
    python -m benchmarks.bench_ingest --runtime openvino     # conversion of both towers counts in "pair loaded"
    python -m benchmarks.bench_ingest --pages 20 --part-passages 100000   # one part: searchable only at the end
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from benchmarks._common import build_dpr_pair, load_squad, machine_line
from rdr_search.chunking import Chunker
from rdr_search.encoders import EncoderPair, EncoderSpec
from rdr_search.index import FaissIndex
from rdr_search.library import Library
from rdr_search.settings import Settings
from rdr_search.store import Store

_LATIN1 = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."})


def _latin1(text: str) -> str:
    """fpdf2's core fonts are Latin-1: map typographic punctuation, drop what cannot be shown."""
    text = unicodedata.normalize("NFKC", text.translate(_LATIN1))
    return text.encode("latin-1", "ignore").decode("latin-1")


def make_pdf(path: Path, pages: int) -> int:
    """Write a PDF of about ``pages`` pages of squad-dev-a paragraphs under their article headings; words."""
    from fpdf import FPDF

    passages, _ = load_squad(0)
    pdf = FPDF(format="A4")
    pdf.set_title("Articles from the Stanford Question Answering Dataset")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    words, title = 0, None
    for passage in passages * 4:
        if passage.title != title:
            title = passage.title
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 8, _latin1(title.replace("_", " ")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, _latin1(passage.text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        words += len(passage.text.split())
        if pdf.page_no() >= pages and pdf.get_y() > 200:
            break
    pdf.output(str(path))
    return words


def _timed(totals: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - started

    return wrapper


def _timed_iter(totals: dict[str, float], name: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
    """Passages are cut lazily, between encodes: time each step of the generator."""

    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = fn(*args, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                totals[name] += time.perf_counter() - started
            yield item

    return wrapper


def first_hit_after(library: Library, question: str, started: float, done: threading.Event) -> list[float]:
    """Searches every 20 ms from ``started`` on; the list gets the seconds until the first hit came back."""
    found: list[float] = []

    def poll() -> None:
        while not done.is_set() and not found:
            if library.search(question, k=1, mode="keyword"):
                found.append(time.perf_counter() - started)
                return
            time.sleep(0.02)

    threading.Thread(target=poll, daemon=True).start()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--precision", default=Settings().precision, help="auto (default path), fp32, bf16, int8")
    parser.add_argument("--runtime", default=Settings().runtime, help="auto (torch: the default path) or openvino")
    parser.add_argument("--threads", type=int, default=2)
    defaults = Settings()
    parser.add_argument("--first-part-passages", type=int, default=defaults.first_part_passages)
    parser.add_argument("--part-passages", type=int, default=defaults.part_passages)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="rdr-bench-") as tmp:
        root = Path(tmp)
        pdf = root / "squad-articles.pdf"
        started = time.perf_counter()
        words = make_pdf(pdf, args.pages)
        made = time.perf_counter() - started
        ctx_dir, question_dir = build_dpr_pair(root / "dpr")
        started = time.perf_counter()
        settings = Settings(
            precision=args.precision,
            runtime=args.runtime,
            runtime_cache=str(root / "runtimes"),
            first_part_passages=args.first_part_passages,
            part_passages=args.part_passages,
        )
        pair = EncoderPair(EncoderSpec.pair(str(ctx_dir), str(question_dir)), settings)
        loaded = time.perf_counter() - started

        totals: dict[str, float] = defaultdict(float)
        # Wrap the pieces at class level (this process only), so the split survives changes inside Library.
        patches = [
            (Library, "_read", "parse (worker process)"),
            (Chunker, "iter_passages", "chunk"),
            (EncoderPair, "encode_passages", "encode"),
            (Store, "commit_document", "store commit"),
            (Store, "commit_part", "store commit"),
            (FaissIndex, "replace", "index update"),
            (FaissIndex, "save", "index save"),
        ]
        for owner, attribute, name in patches:
            wrap = _timed_iter if attribute == "iter_passages" else _timed
            setattr(owner, attribute, wrap(totals, name, getattr(owner, attribute)))
        with Library.open(root / "library", pair, settings) as library:
            totals.clear()  # opening may save an empty index
            done = threading.Event()
            started = time.perf_counter()
            first = first_hit_after(library, "the", started, done)
            result = library.add_files([pdf], progress=False)
            done.set()
        outcome = result.outcomes[0]
        assert outcome.status == "added", outcome
        print("## Ingest: one PDF through Library.add_files (BERT-base DPR stand-in, random weights)")
        print(machine_line())
        print(
            f"PDF: {outcome.pages} pages, {words:,} words, {pdf.stat().st_size / 1e6:.1f} MB (made in {made:.1f} s); "
            f"pair loaded in {loaded:.1f} s ({pair.precision}, {pair.runtime})\n"
        )
        print("| phase | seconds | share |\n|---|---:|---:|")
        for name, seconds in totals.items():
            print(f"| {name} | {seconds:.2f} | {100 * seconds / result.seconds:.0f}% |")
        other = result.seconds - sum(totals.values())
        print(f"| other (hashing, checks, bookkeeping) | {other:.2f} | {100 * other / result.seconds:.0f}% |")
        print(f"| **total add_files** | **{result.seconds:.2f}** | 100% |")
        rate = result.encoded / totals["encode"] if totals["encode"] else float("nan")
        print(
            f"\n{outcome.passages} passages ({result.encoded} encoded, {rate:.1f} passages/s while encoding); "
            f"parts: first {settings.first_part_passages} passages, then {settings.part_passages} each"
        )
        first_line = f"{first[0]:.2f} s" if first else "not seen before the add returned"
        print(
            f"time from the end of the upload to the first searchable passage: {first_line} (goal: <= 5 s); "
            f"to the whole document: {result.seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
