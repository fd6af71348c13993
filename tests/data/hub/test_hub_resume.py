"""``fetch`` pins one commit, records checksums, resumes, and says when it cannot pin (offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub_helpers import hub_source

from xstilts.data import hub
from xstilts.data.hub import fetch

PANX = {"tokens": ["Köln"], "ner_tags": [5], "langs": ["de"]}


class CountingHub:
    """A fake ``datasets.load_dataset`` over PAN-X de/en that counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, repo: str, config: str, **kwargs: Any) -> list[dict]:
        self.calls.append((config, kwargs))
        return [PANX]


def test_an_unpinned_fetch_pins_the_current_commit_for_every_split(tmp_path: Path) -> None:
    fake = CountingHub()
    fetch(hub_source("panx"), ["de"], tmp_path, load_dataset=fake,
          resolve_revision=lambda repo: "c0ffee")  # fmt: skip
    assert {kwargs["revision"] for _, kwargs in fake.calls} == {"c0ffee"}
    record = json.loads((tmp_path / "panx" / hub.SOURCE_FILE).read_text())["files"]
    assert {entry["revision"] for entry in record.values()} == {"c0ffee"}


def test_a_second_fetch_at_the_same_commit_resumes_and_verifies(tmp_path: Path) -> None:
    fake = CountingHub()
    first = fetch(hub_source("panx"), ["de"], tmp_path, revision="c0ffee", load_dataset=fake)
    calls = len(fake.calls)
    # Interrupted after everything was written: nothing is loaded again.
    again = fetch(hub_source("panx"), ["de"], tmp_path, revision="c0ffee", load_dataset=fake)
    assert len(fake.calls) == calls
    assert sorted(again.files) == sorted(first.files)
    # A file changed on disk fails its checksum: that split alone is fetched again.
    (tmp_path / "panx" / "de-dev").write_text("de:Bonn\tB-LOC\n", encoding="utf-8")
    repaired = fetch(hub_source("panx"), ["de"], tmp_path, revision="c0ffee", load_dataset=fake)
    assert [config for config, _ in fake.calls[calls:]] == ["PAN-X.de"]
    assert any("changed since it was fetched" in note for note in repaired.notes)
    assert "Köln" in (tmp_path / "panx" / "de-dev").read_text(encoding="utf-8")
    # Another commit or other languages are a new fetch.
    fetch(hub_source("panx"), ["de"], tmp_path, revision="beef", load_dataset=fake)
    assert len(fake.calls) == calls + 1 + calls


def test_offline_the_fetch_goes_on_unpinned_and_says_so(tmp_path: Path) -> None:
    def offline(repo: str) -> str:
        raise ConnectionError("Offline mode is enabled.")

    fake = CountingHub()
    result = fetch(hub_source("panx"), ["de"], tmp_path, load_dataset=fake,
                   resolve_revision=offline)  # fmt: skip
    assert {kwargs.get("revision") for _, kwargs in fake.calls} == {None}
    assert any("fetched unpinned" in note and "Offline mode" in note for note in result.notes)
    # Unpinned files are never taken as already fetched.
    fetch(hub_source("panx"), ["de"], tmp_path, load_dataset=fake, resolve_revision=offline)
    assert len(fake.calls) == 12
