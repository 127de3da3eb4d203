"""Keeping a library: export, import (whole and merged), a watched rename and a rechunk, timed.

The library holds squad-dev-a paragraphs, one Markdown file per Wikipedia title, encoded with the real
all-MiniLM-L6-v2 (the real-weights stand-in: 6 layers, 384-d; an RDR library's vectors are 768-d, twice the
bytes). Building it is not timed.

    python -m benchmarks.bench_keep                  # 10 documents (~200 paragraphs)
    python -m benchmarks.bench_keep --documents 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._common import MINILM_DIR, load_squad, machine_line
from rdr_search.encoders import EncoderSpec
from rdr_search.library import Library
from rdr_search.library.archive import export_library
from rdr_search.library.archive_import import import_library
from rdr_search.library.reindex import rechunk
from rdr_search.library.watch import FolderWatch
from rdr_search.settings import Settings


def _write_documents(folder: Path, count: int) -> int:
    passages, _ = load_squad(questions=0)
    by_title: dict[str, list[str]] = defaultdict(list)
    for passage in passages:
        by_title[passage.title].append(passage.text)
    folder.mkdir(parents=True)
    titles = sorted(by_title)[:count]
    for i, title in enumerate(titles):
        (folder / f"doc-{i:04d}.md").write_text(f"# {title}\n\n" + "\n\n".join(by_title[title]) + "\n")
    return len(titles)


def _no_note(result: Any) -> str:
    return ""


def _timed(
    label: str, rows: list[tuple[str, float, str]], fn: Callable[[], Any], note: Callable[[Any], str] = _no_note
) -> Any:
    start = time.perf_counter()
    result = fn()
    rows.append((label, time.perf_counter() - start, note(result)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10)
    args = parser.parse_args()
    settings = Settings(precision="fp32")
    spec = EncoderSpec.single(str(MINILM_DIR))
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        documents = _write_documents(root / "docs", args.documents)
        with Library.open(root / "lib", spec, settings) as lib:
            lib.add_files([root / "docs"], progress=False)
            passages = lib.stats()["passages"]
            archive = root / "lib.rdrlib"
            _timed("export-library", rows, lambda: export_library(lib, archive, progress=False),
                   lambda r: f"{r.size_bytes / 2**20:.2f} MB archive")  # fmt: skip
            _timed("import-library, merge (all unchanged)", rows, lambda: import_library(lib, archive, progress=False),
                   lambda r: f"{len(r.unchanged)} unchanged")  # fmt: skip
            watch = FolderWatch(lib, root / "docs", quiet_s=0)
            watch.step()
            (root / "docs" / "doc-0000.md").rename(root / "docs" / "renamed.md")
            _timed("watch: one rename", rows, watch.step, lambda r: f"{[c.kind for c in r]}")
            wider = Settings(precision="fp32", passage_words=60)
            _timed("reindex --passage-words 60", rows, lambda: rechunk(lib, wider, progress=False),
                   lambda r: f"{r.passages_before} -> {r.passages_after} passages, {r.encoded} encoded")  # fmt: skip
        _timed("import-library, whole (new folder)", rows,
               lambda: import_library(root / "moved", archive, settings, progress=False),
               lambda r: f"{len(r.added)} documents")  # fmt: skip
        with Library.open(root / "moved", settings=settings) as moved:
            _timed(
                "first search after import (loads the model, rebuilds the index)",
                rows,
                lambda: moved.search("When was it built?", k=5),
            )
    print(machine_line())
    print(f"{documents} documents, {passages} passages (all-MiniLM-L6-v2 stand-in, 384-d)\n")
    print("| step | seconds | note |\n|---|---:|---|")
    for label, seconds, note in rows:
        print(f"| {label} | {seconds:.2f} | {note} |")


if __name__ == "__main__":
    main()
