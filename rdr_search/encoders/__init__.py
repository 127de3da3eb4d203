"""Text encoders (being split by concern)."""

from rdr_search.encoders.pair import *  # noqa: F403
from rdr_search.encoders.pair import (  # noqa: F401
    _check_local_dir,
    _checkpoint_hash,
    _is_hub_id,
    _load,
    _resolve_device,
)
