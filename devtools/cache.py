"""Where the project caches what it builds or downloads on a machine (Go tools, the DagBag virtualenv,
trivy's database): one root, honouring ``XDG_CACHE_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "astronomer-platform"
