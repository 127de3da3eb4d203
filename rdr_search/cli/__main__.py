"""``python -m rdr_search.cli``: the same as the ``rdr-search`` command."""

from rdr_search.cli import main

main()
