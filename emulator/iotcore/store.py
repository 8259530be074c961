"""Durable state of the local IoT Core: shadows, jobs and the registry, as JSON files.

One file per shadow and per job, replaced atomically after every change, so an update that
was answered ``accepted`` survives a restart (or a crash) of the local IoT Core.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .shadow import ShadowKey

_CLASSIC = "@classic"  # '@' cannot appear in a shadow name, so this never collides


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")))
    os.replace(tmp, path)


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


class StateStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # shadows: state/shadows/<thing>/<name>.json

    def save_shadow(self, key: ShadowKey, data: dict[str, Any] | None) -> None:
        path = self._shadow_path(key)
        if data is None:
            path.unlink(missing_ok=True)
        else:
            _write(path, data)

    def load_shadows(self) -> Iterator[tuple[ShadowKey, dict[str, Any]]]:
        base = self.root / "shadows"
        if not base.exists():
            return
        for path in sorted(base.glob("*/*.json")):
            name = "" if path.stem == _CLASSIC else path.stem
            yield (path.parent.name, name), _read(path)

    def _shadow_path(self, key: ShadowKey) -> Path:
        thing, name = key
        return self.root / "shadows" / thing / f"{name or _CLASSIC}.json"

    # jobs: state/jobs/<jobId>.json

    def save_job(self, job_id: str, data: dict[str, Any] | None) -> None:
        path = self.root / "jobs" / f"{job_id}.json"
        if data is None:
            path.unlink(missing_ok=True)
        else:
            _write(path, data)

    def load_jobs(self) -> list[dict[str, Any]]:
        base = self.root / "jobs"
        if not base.exists():
            return []
        jobs = [_read(p) for p in base.glob("*.json")]
        jobs.sort(key=lambda j: j["job"]["created_at"])
        return jobs

    # registry: state/registry.json

    def save_registry(self, data: dict[str, Any]) -> None:
        _write(self.root / "registry.json", data)

    def load_registry(self) -> dict[str, Any] | None:
        path = self.root / "registry.json"
        return _read(path) if path.exists() else None
