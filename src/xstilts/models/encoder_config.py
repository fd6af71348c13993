"""What an encoder name means, decided before any weights are loaded (no torch import here).

``transformers`` treats any string it cannot open as a hub id, so a mistyped local folder
(``./models/xlmr-larg``) becomes a network request, or an "is not a valid model identifier" error
far from its cause. Here a name that *looks like a path* must be an existing folder, and offline
mode is read from the environment whenever it is asked (``huggingface_hub`` reads it once, at
import). Depth and weights of an encoder are :mod:`xstilts.models.identity`'s business.
"""

from __future__ import annotations

import os
from pathlib import Path

from xstilts.errors import XstiltsError

_TRUE = ("1", "true", "yes", "on")


def offline_mode() -> bool:
    """Whether the user forbade network access (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    return any(
        os.environ.get(variable, "").strip().lower() in _TRUE
        for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def is_path_like(name: str) -> bool:
    """A name that can only mean a folder: hub ids are ``name`` or ``org/name``, nothing else.

    Path-like: starts with ``.``, ``/`` or ``~``; ends with a separator; holds a backslash or more
    than one ``/``; or exists as a relative path.
    """
    if "\x00" in name:
        raise XstiltsError(f"encoder {name!r:.200}: a name cannot hold a NUL character")
    return (
        name.startswith((".", "/", "~"))
        or name.endswith(("/", os.sep))
        or "\\" in name
        or name.count("/") > 1
        or Path(name).exists()
    )


def check_local_encoder(name: str) -> Path | None:
    """The folder ``name`` names, or None for a hub id; a path-like name must be a folder."""
    if not is_path_like(name):
        return None
    folder = Path(name).expanduser()
    if not folder.is_dir():
        raise XstiltsError(
            f"encoder {name!r:.200}: no such folder (resolved to {folder.absolute()}); a local "
            "encoder path must exist — it is never sent to the hub"
        )
    return folder
