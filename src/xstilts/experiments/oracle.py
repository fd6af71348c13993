"""Per-language ("oracle") checkpoint selection (Keung et al. 2020), without scoring every test
set at every evaluation point.

English-dev selection picks one checkpoint for all languages; the oracle picks, for each language,
the evaluation step where *its own* dev score peaked — an upper bound on what target-language
dev data could buy, and the other half of the selection gap the analysis reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from xstilts.errors import XstiltsError
from xstilts.files import atomic_write_text, atomic_write_with
from xstilts.tasks.recipe import Selection
from xstilts.train.checkpoint import swapped_parameters, trainable_state

ORACLE_STATES = "oracle_states"

SetKey = tuple[str, str]  # (split, language)
ScoreKey = tuple[str, str, str]  # (split, language, metric)


def oracle_steps(
    history: dict[str, dict[str, float]], metric: str, dev_split: str = "dev"
) -> dict[str, int]:
    """For each language with a dev set, the evaluation step where its dev headline metric
    peaked (the earliest among ties, as English-dev selection keeps the first best)."""
    prefix = f"{dev_split}\t"
    keys = {key for scores in history.values() for key in scores if key.startswith(prefix)}
    best: dict[str, int] = {}
    for language in sorted({key.split("\t")[1] for key in keys}):
        key = f"{dev_split}\t{language}\t{metric}"
        steps = [(scores.get(key, float("-inf")), -int(step)) for step, scores in history.items()]
        best[language] = -max(steps)[1]
    return best


def languages_by_step(steps: Mapping[str, int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for language, step in steps.items():
        out.setdefault(step, set()).add(language)
    return out


class OracleTracker:
    """Records dev scores during training; scores each language's test sets once afterwards.

    At each evaluation point only the dev sets of every language are scored (the history, kept
    in ``oracle_history.json``), and the trainable parameters are kept on disk
    (``oracle_states/step-N.safetensors``) only while the step is some language's best so far.
    After training, each language's test sets are scored once, with the parameters of its own
    best step: the same rows as scoring every set at every step, for a fraction of the cost.
    Both files survive a killed run, so a resumed run selects as an uninterrupted one would.
    Only the main process writes; under torchrun the others read the same files.
    """

    def __init__(self, run_dir: Path, metric: str, dev_split: str, is_main: bool) -> None:
        self.run_dir, self.metric, self.dev_split, self.is_main = (
            run_dir,
            metric,
            dev_split,
            is_main,
        )
        self.history_path = run_dir / "oracle_history.json"
        self.states = run_dir / ORACLE_STATES
        self.history: dict[str, dict[str, float]] = {}
        if self.history_path.is_file():
            try:
                self.history = json.loads(self.history_path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise XstiltsError(
                    f"{self.history_path}: unreadable ({error}); delete {run_dir} to run it again"
                ) from None

    def steps(self) -> dict[str, int]:
        return oracle_steps(self.history, self.metric, self.dev_split)

    def state_path(self, step: int) -> Path:
        return self.states / f"step-{step}.safetensors"

    def record(self, step: int, dev_scores: Mapping[ScoreKey, float], model: nn.Module) -> None:
        """Add one evaluation point; keep its parameters if some language peaks there."""
        self.history[str(step)] = {"\t".join(key): value for key, value in dev_scores.items()}
        if not self.is_main:
            return
        needed = set(self.steps().values())
        if step in needed:  # written before the history names it
            self.states.mkdir(parents=True, exist_ok=True)
            state = trainable_state(model)
            atomic_write_with(self.state_path(step), lambda tmp: save_file(state, str(tmp)))
        atomic_write_text(self.history_path, json.dumps(self.history))
        for path in self.states.glob("step-*.safetensors"):
            if int(path.stem.removeprefix("step-")) not in needed:
                path.unlink()

    def recorded(self, step: int, languages: set[str]) -> dict[ScoreKey, float]:
        """The recorded scores of ``languages`` at ``step`` (their dev sets)."""
        out = {}
        for key, value in self.history[str(step)].items():
            split, language, metric = key.split("\t")
            if language in languages:
                out[(split, language, metric)] = value
        return out

    def final_scores(
        self,
        model: nn.Module,
        sets: Mapping[SetKey, Sequence[Any]],
        selected_scores: Mapping[ScoreKey, float],
        selected_step: int,
        score: Callable[[dict[SetKey, Sequence[Any]]], dict[ScoreKey, float]],
    ) -> dict[tuple[str, str, str, str], float]:
        """Every (split, language, metric) at the language's own best step, selection ``oracle``.

        ``model`` holds the English-dev choice (``selected_step``, whose scores are
        ``selected_scores``) and holds it again on return; ``score`` scores sets with the model's
        current parameters.
        """
        out: dict[tuple[str, str, str, str], float] = {}
        for step, languages in sorted(languages_by_step(self.steps()).items()):
            others = {
                key: examples for key, examples in sets.items()
                if key[1] in languages and key[0] != self.dev_split
            }  # fmt: skip
            if step == selected_step:  # the English-dev model: scored already
                at_step = {key: v for key, v in selected_scores.items() if key[:2] in others}
            elif self.state_path(step).is_file():
                with swapped_parameters(model, load_file(str(self.state_path(step)))):
                    at_step = score(others)
            else:  # a run begun by an earlier version, whose history holds every set
                at_step = {}
            at_step.update(self.recorded(step, languages))
            missing = set(others) - {key[:2] for key in at_step}
            if missing:
                raise XstiltsError(
                    f"{self.run_dir}: oracle parameters of step {step} are missing "
                    f"({self.state_path(step)}), needed for {sorted(missing)}; delete the run "
                    "folder to run it again"
                )
            out.update({(*key, "oracle"): value for key, value in at_step.items()})
        return out


__all__ = ["ORACLE_STATES", "OracleTracker", "languages_by_step", "oracle_steps"]


def oracle_layers(
    sweep: dict[tuple[str, str, str, str, int], float], headline: str
) -> dict[tuple[str, str, str, str, int], float]:
    """Per (split, language): every metric at the layer best on ``headline`` (ties: lowest)."""
    best: dict[tuple[str, str], tuple[float, int]] = {}
    for (split, language, metric, _, layer), value in sorted(sweep.items()):
        if metric == headline and (
            (split, language) not in best or value > best[(split, language)][0]
        ):
            best[(split, language)] = (value, layer)
    return {
        (split, language, metric, Selection.ORACLE.value, layer): value
        for (split, language, metric, _, layer), value in sweep.items()
        if best.get((split, language), (None, -1))[1] == layer
    }
