"""Upload the generated dashboards to a Grafana over its HTTP API (grafana-client).

The folder is found by title among the existing folders and created when missing; each dashboard is
posted to /api/dashboards/db with `overwrite: true`, so its uid decides whether it is created or updated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_client.api import GrafanaApi

MESSAGE = "govpulse dashboards push"


@dataclass(frozen=True)
class PushResult:
    uid: str
    status: str
    url: str


def connect(url: str, token: str | None = None, user: str | None = None, password: str | None = None) -> Any:
    credential: str | tuple[str, str] | None = token
    if token is None and user is not None:
        credential = (user, password or "")
    return GrafanaApi.from_url(url, credential=credential)


def ensure_folder(api: Any, title: str) -> str:
    """The uid of the folder titled `title`, created if no folder has that title."""
    for folder in api.folder.get_all_folders():
        if folder.get("title") == title:
            return str(folder["uid"])
    created = api.folder.create_folder(title)
    return str(created["uid"])


def push_files(api: Any, files: list[Path], folder_uid: str) -> list[PushResult]:
    results = []
    for path in files:
        board = json.loads(path.read_text(encoding="utf-8"))
        board.pop("id", None)  # Grafana matches on uid; a foreign numeric id would clash
        payload = {"dashboard": board, "folderUid": folder_uid, "overwrite": True, "message": MESSAGE}
        answer = api.dashboard.update_dashboard(payload)
        results.append(
            PushResult(
                str(answer.get("uid", board["uid"])),
                str(answer.get("status", "")),
                str(answer.get("url", "")),
            )
        )
    return results
