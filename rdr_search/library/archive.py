"""Library archives: a whole library in one file, to keep it or move it.

An archive is a zip of ``manifest.json`` (format, store schema, the vector sets' encoder identities, and the
size and SHA-256 of every other member), ``library.sqlite3`` (a consistent snapshot taken with SQLite's backup
API while readers and writers go on: documents, passages, the keyword index and the vectors of every vector
set) and ``originals/<sha256>.pdf`` (the kept PDF originals, for page views). Index files are not carried:
they are derived from the vectors and rebuilt on import.

An archive to import is untrusted (a public deployment lets visitors upload one). :func:`unpack` caps the
file and what it unpacks to, accepts only the member names above, never trusts a declared size, verifies
every checksum and writes only files it names itself, inside a folder of the library. The database is then
checked by :mod:`rdr_search.library.archive_check` before anything is merged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tqdm.auto import tqdm

from rdr_search.errors import ArchiveError
from rdr_search.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from rdr_search.library.core import Library

FORMAT = "rdr-search-library"
FORMAT_VERSION = 1
SUFFIX = ".rdrlib"
MANIFEST = "manifest.json"
DATABASE = "library.sqlite3"
_ORIGINAL = re.compile(r"^originals/([0-9a-f]{64})\.pdf$")
_MAX_MEMBERS = 100_000
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    documents: int
    passages: int
    vector_sets: int
    originals: int
    size_bytes: int

    def summary(self) -> str:
        return (
            f"Exported {self.documents} documents, {self.passages} passages, {self.vector_sets} vector set(s) and "
            f"{self.originals} kept original(s) to {self.path} ({self.size_bytes / 2**20:.1f} MB)."
        )


@dataclass
class UnpackedArchive:
    """An archive's members written to a private folder, each checked against the manifest."""

    folder: Path
    database: Path
    manifest: dict[str, Any]
    originals: dict[str, Path] = field(default_factory=dict)
    """Kept original per content hash."""

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_database(source: Path, target: Path) -> None:
    """Copy the library database with SQLite's backup API: one committed state, while others read and write."""
    src = sqlite3.connect(source, timeout=60)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no WAL beside it
        finally:
            dst.close()
    finally:
        src.close()


def export_library(library: Library, out: str | Path, *, progress: bool = True) -> ExportResult:
    """Write the whole library (documents, passages, keyword index, every vector set's vectors, the encoder
    identities and kept PDF originals) to one archive file at ``out`` (written atomically)."""
    out = Path(out).expanduser()
    if out.is_dir():
        raise ArchiveError(f"'{out}' is a folder; name the archive file to write (e.g. my-library{SUFFIX}).")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".rdrlib-", dir=out.parent))
    try:
        database = work / DATABASE
        snapshot_database(library._store.path, database)
        db = sqlite3.connect(database)
        try:
            documents, passages = (
                int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in ("documents", "passages")
            )
            sets = [{"key": k, "name": n, "identity": json.loads(i)} for k, n, i in db.execute(
                "SELECT key, name, identity FROM vector_sets ORDER BY id")]  # fmt: skip
            pdfs = sorted({str(r[0]) for r in db.execute("SELECT content_hash FROM documents WHERE kind = 'pdf'")})
        finally:
            db.close()
        members = {DATABASE: {"size": database.stat().st_size, "sha256": _sha256_file(database)}}
        temp_zip = work / f"archive{SUFFIX}"
        with zipfile.ZipFile(temp_zip, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.write(database, DATABASE)
            for content_hash in tqdm(pdfs, desc="Exporting originals", unit="file", disable=not progress or not pdfs):
                original = library._originals.path(content_hash, "pdf")
                # A damaged or missing original only costs its page view; the text travels anyway.
                if original is None or _sha256_file(original) != content_hash:
                    continue
                name = f"originals/{content_hash}.pdf"
                archive.write(original, name)
                members[name] = {"size": original.stat().st_size, "sha256": content_hash}
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "schema_version": SCHEMA_VERSION,
                "documents": documents,
                "passages": passages,
                "vector_sets": sets,
                "members": members,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        temp_zip.replace(out)
        originals = len(members) - 1
        return ExportResult(out, documents, passages, len(sets), originals, out.stat().st_size)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    shown = ascii(name[:80])
    if name not in (MANIFEST, DATABASE) and not _ORIGINAL.match(name):
        raise ArchiveError(
            f"The archive holds an unexpected member {shown}; it is not a library archive made by rdr-search."
        )
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer recorded no file type
    if info.is_dir() or kind not in (0, stat.S_IFREG):
        raise ArchiveError(f"The archive member {shown} is not a plain file.")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"The archive member {shown} is encrypted.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ArchiveError(f"The archive member {shown} uses an unsupported compression.")


def _read_bounded(stream: IO[bytes], limit: int, out: IO[bytes] | None = None) -> tuple[int, str, bytes]:
    """Copy at most ``limit`` bytes (more is an error: declared sizes are not trusted); returns (size, sha256,
    the bytes when not written to ``out``)."""
    digest, size, kept = hashlib.sha256(), 0, bytearray()
    while block := stream.read(min(_BLOCK, limit - size + 1)):
        size += len(block)
        if size > limit:
            raise ArchiveError("An archive member unpacks to more bytes than its manifest says (a zip bomb?).")
        digest.update(block)
        if out is None:
            kept.extend(block)
        else:
            out.write(block)
    return size, digest.hexdigest(), bytes(kept)


def _manifest(archive: zipfile.ZipFile, names: set[str]) -> dict[str, Any]:
    if MANIFEST not in names or DATABASE not in names:
        raise ArchiveError(f"The archive lacks its {MANIFEST} or {DATABASE}; it is not a library archive.")
    with archive.open(MANIFEST) as stream:
        _, _, raw = _read_bounded(stream, _MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise ArchiveError(f"The archive's manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("The file is not an rdr-search library archive (its manifest names another format).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(f"The archive has format version {manifest.get('format_version')!r}; this version "
                           f"of rdr-search reads {FORMAT_VERSION}.")  # fmt: skip
    members = manifest.get("members")
    if not isinstance(members, dict) or set(members) != names - {MANIFEST}:
        raise ArchiveError("The archive's manifest does not list exactly the files it holds.")
    for entry in members.values():
        if not (isinstance(entry, dict) and isinstance(entry.get("size"), int) and entry["size"] >= 0
                and isinstance(entry.get("sha256"), str)):  # fmt: skip
            raise ArchiveError("The archive's manifest lists a member without a valid size and checksum.")
    return manifest


def unpack(archive_path: Path, into: Path, *, max_bytes: int, max_unpacked_bytes: int) -> UnpackedArchive:
    """Check and unpack an untrusted archive into a new folder under ``into`` (removed again on any error)."""
    try:
        size = archive_path.stat().st_size
    except OSError as exc:
        raise ArchiveError(f"Cannot read the archive {archive_path.name}: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise ArchiveError(f"The archive is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    folder = Path(tempfile.mkdtemp(prefix=".import-", dir=into))
    try:
        with _open_zip(archive_path) as archive:
            result = _unpack_members(archive, folder, max_unpacked_bytes)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return result


@contextlib.contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path.name} is not a readable library archive (not a zip file: {exc}).") from exc
    with archive:
        yield archive


def _unpack_members(archive: zipfile.ZipFile, folder: Path, max_unpacked_bytes: int) -> UnpackedArchive:
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ArchiveError(f"The archive holds {len(infos):,} files; the limit is {_MAX_MEMBERS:,}.")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ArchiveError("The archive holds two members with the same name.")
    for info in infos:
        _check_member(info)
    manifest = _manifest(archive, set(names))
    members: dict[str, dict[str, Any]] = manifest["members"]
    total = sum(entry["size"] for entry in members.values())
    if total > max_unpacked_bytes:
        raise ArchiveError(f"The archive unpacks to {total / 2**20:.1f} MB; the room for it is "
                           f"{max_unpacked_bytes / 2**20:.0f} MB.")  # fmt: skip
    unpacked = UnpackedArchive(folder, folder / DATABASE, manifest)
    (folder / "originals").mkdir()
    for name, entry in members.items():
        match = _ORIGINAL.match(name)
        # Target names are built here, never taken from the archive.
        target = unpacked.database if match is None else folder / "originals" / f"{match.group(1)}.pdf"
        with archive.open(name) as stream, open(target, "xb") as out:
            size, digest, _ = _read_bounded(stream, entry["size"], out)
        if size != entry["size"] or digest != entry["sha256"] or (match is not None and digest != match.group(1)):
            raise ArchiveError(f"The archive member {ascii(name[:80])} does not match its checksum (damaged?).")
        if match is not None:
            unpacked.originals[match.group(1)] = target
    return unpacked
