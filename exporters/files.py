"""Files that hold channel data or alerts are private to the service's user."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_dirs(directory: Path) -> None:
    """Create `directory` and any missing parents with mode 0700 (existing ones are left as they are)."""
    missing = []
    for parent in (directory, *directory.parents):
        if parent.exists():
            break
        missing.append(parent)
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it meanwhile; it keeps the mode it was given
        os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask
