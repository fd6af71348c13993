"""The multiple-choice tests' data: a learnable English COPA training set, Turkish XCOPA records,
and data folders mixing the supported layouts of XCOPA and SIQA (written for these tests).

Importable from any test module (``from multiple_choice_data import make_xcopa_folders``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"


def jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


# A learnable English COPA-format training set: the correct choice is always the "good" outcome
# of its premise; each item appears twice with the choices swapped, so position alone is useless.
_COPA_ITEMS = [
    ("The glass fell off the table.", "It broke into pieces.", "It started to sing.", "effect"),
    ("The man was hungry.", "He ate a sandwich.", "He painted the fence.", "effect"),
    ("The floor was wet.", "Someone spilled water.", "The sun was shining.", "cause"),
    ("The child was tired.", "She went to bed.", "She ran a marathon.", "effect"),
    ("The plant died.", "Nobody watered it.", "It was very happy.", "cause"),
    ("The phone rang.", "I answered it.", "I planted a tree.", "effect"),
    ("The lights went out.", "The power failed.", "The cat was asleep.", "cause"),
    ("The ice melted.", "It was a hot day.", "It was a blue car.", "cause"),
]


def copa_train_records() -> list[dict[str, Any]]:
    records = []
    for premise, good, bad, question in _COPA_ITEMS:
        for label, (one, two) in enumerate([(good, bad), (bad, good)]):
            records.append({"premise": premise, "choice1": one, "choice2": two,
                            "question": question, "label": label, "idx": len(records)})  # fmt: skip
    return records


# Turkish XCOPA-format examples in the XTREME flat layout (val/test.tr.jsonl).
TR_RECORDS = [
    {"premise": "Bardak masadan düştü.", "choice1": "Paramparça oldu.",
     "choice2": "Şarkı söylemeye başladı.", "question": "effect", "label": 0, "idx": 1},
    {"premise": "Zemin ıslaktı.", "choice1": "Güneş parlıyordu.",
     "choice2": "Biri su döktü.", "question": "cause", "label": 1, "idx": 2},
]  # fmt: skip


def make_xcopa_folders(data_dir: Path) -> Path:
    """xcopa/ mixing both supported layouts, plus siqa/ in the XTREME download layout."""
    xcopa = data_dir / "xcopa"
    jsonl(xcopa / "COPA" / "train.jsonl", copa_train_records())  # SuperGLUE COPA layout
    shutil.copy(FIXTURES / "copa" / "val.jsonl", xcopa / "COPA" / "val.jsonl")
    shutil.copy(FIXTURES / "copa" / "test.jsonl", xcopa / "COPA" / "test.jsonl")
    release = xcopa / "data" / "it"  # cambridgeltl/xcopa layout
    release.mkdir(parents=True)
    shutil.copy(FIXTURES / "xcopa" / "val.it.jsonl", release / "val.it.jsonl")
    shutil.copy(FIXTURES / "xcopa" / "val.it.jsonl", release / "test.it.jsonl")
    jsonl(xcopa / "val.tr.jsonl", TR_RECORDS)  # XTREME download layout
    jsonl(xcopa / "test.tr.jsonl", TR_RECORDS)
    siqa = data_dir / "siqa"
    siqa.mkdir()
    shutil.copy(FIXTURES / "siqa" / "socialIQa_v1.4_dev.jsonl", siqa / "socialIQa_v1.4_trn.jsonl")
    shutil.copy(FIXTURES / "siqa" / "socialIQa_v1.4_dev.jsonl", siqa / "socialIQa_v1.4_dev.jsonl")
    return data_dir


def corpus_of(folder: Path) -> list[str]:
    return [
        line for path in sorted(folder.rglob("*")) if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
    ]  # fmt: skip
