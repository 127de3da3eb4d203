"""Read files into plain-text documents: the only package that knows file formats.

``read_document`` turns one file (.txt, .md, .pdf, .docx, .html) into a :class:`Document` with a title and
the text of each page, or raises :class:`~rdr_search.errors.DocumentError` with a short reason a user can
act on. :class:`DocumentReader` does the same in worker processes with a time budget per file, so a
pathological file costs one skipped file, not a hung or crashed app.

Layout: one converter module per format (``text``, ``markdown``, ``pdf``, ``docx``, ``html``), each
``parse(bytes) -> (title, pages)``; ``registry`` maps extensions to them; ``reading`` is the in-process entry
point; ``worker`` is the capped parser process and ``pool`` the :class:`DocumentReader` that lends workers to
its callers; ``pages`` draws a PDF page with text highlighted (in a worker too, for page views).

This package must stay light: it imports no torch/transformers/faiss and not ``rdr_search.library``, because
the worker process imports it. The parsers (pypdf, python-docx, lxml with BeautifulSoup's encoding detection,
charset-normalizer) are imported inside the functions that need them, so importing it costs almost nothing.
"""

from rdr_search.documents.cleaning import TITLE_MAX_CHARS
from rdr_search.documents.docx import DOCX_EXPANSION_CAP, DOCX_EXPANSION_FLOOR, DOCX_EXPANSION_RATIO
from rdr_search.documents.pages import PageImage
from rdr_search.documents.pool import DocumentReader
from rdr_search.documents.reading import DEFAULT_MAX_BYTES, Document, check_file, file_sha256, read_document
from rdr_search.documents.registry import SUPPORTED_EXTENSIONS
from rdr_search.documents.worker import WORKER_MEMORY_BYTES

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DOCX_EXPANSION_CAP",
    "DOCX_EXPANSION_FLOOR",
    "DOCX_EXPANSION_RATIO",
    "SUPPORTED_EXTENSIONS",
    "TITLE_MAX_CHARS",
    "WORKER_MEMORY_BYTES",
    "Document",
    "DocumentReader",
    "PageImage",
    "check_file",
    "file_sha256",
    "read_document",
]
