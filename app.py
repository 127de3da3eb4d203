"""rdr-search web app (also a Hugging Face Space's app_file): parse options, build the UI, launch.

    python app.py [--library DIR] [--preset rdr-nq | --ctx-encoder X --question-encoder Y | --sentence-encoder DIR]
                  [--compare-preset dpr-nq | --compare-ctx-encoder X --compare-question-encoder Y |
                   --compare-sentence-encoder DIR]
                  [--host H] [--port P] [--device cpu] [--precision fp32] [--session-scoped] [--mcp]

A compare pair adds a Compare tab: the same passages ranked by both pairs side by side (each pair keeps its own
vector set and index in the library).

Every option also reads an environment variable RDR_SEARCH_<NAME> (e.g. RDR_SEARCH_LIBRARY). On a Space
(SPACE_ID set) each browser session gets its own temporary library.
"""

from rdr_search.app.main import config_from_args, main, parse_args

__all__ = ["config_from_args", "main", "parse_args"]

if __name__ == "__main__":
    main()
