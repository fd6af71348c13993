"""The quasi-experimental arm: one study over several encoders, volume slope within language.

Across languages, pretraining volume travels with script, family, domain and test-set quality, so
a cross-language slope is confounded. Different encoders saw the *same* language at different
volumes (mBERT: Wikipedia; XLM-R and e5: CC-100), so with language fixed effects (absorbing all
that is constant about a language: script, family, test set) and encoder fixed effects
(absorbing model size and recipe), the volume slope is identified from within-language variation
across encoders only — the panel design of Lauscher et al. 2020 and Wu & Dredze 2020's question,
without their confound. Errors are cluster-robust by language (CR2 with Bell–McCaffrey df,
``statistics.cluster_robust``), since one language's rows share its test set.

Volume enters as log10(GiB or tokens) with an explicit ``unseen`` indicator for languages an
encoder never saw (volume 0), whose log would be -inf: the indicator takes their level and the
slope is estimated from seen languages only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xstilts.analysis.statistics.cluster_robust import cr2

ENCODER_VOLUME = {
    # encoder name (as in the store's `encoder` column, lower-cased prefix) -> languages.csv column
    "bert-base-multilingual": "wiki_tokens_m",  # mBERT: Wikipedia (Devlin et al. 2019)
    "xlm-roberta": "cc100_tokens_m",  # XLM-R: CC-100 (Conneau et al. 2020)
    "multilingual-e5": "cc100_tokens_m",  # e5 starts from an XLM-R-vocabulary model (CC-100)
}
"""Which pretraining table measures each encoder family's per-language volume. Encoders not
listed (Glot500, mT5) need their table added here before they can join the panel."""


def volume_column(encoder: str, table: Mapping[str, str] = ENCODER_VOLUME) -> str | None:
    """The languages.csv column with ``encoder``'s per-language pretraining volume, if known."""
    name = encoder.lower().rsplit("/", 1)[-1]
    return next((column for prefix, column in table.items() if name.startswith(prefix)), None)


def panel_frame(rows: pd.DataFrame, languages: pd.DataFrame) -> pd.DataFrame:
    """Rows (encoder, language, value) joined with each encoder's own volume of the language."""
    frames = []
    for encoder, group in rows.groupby("encoder", sort=True):
        column = volume_column(str(encoder))
        if column is None:
            continue
        volume = languages.set_index("iso639_1")[column]
        frames.append(group.assign(volume=group["language"].map(volume)))
    if not frames:
        return pd.DataFrame(columns=[*rows.columns, "volume"])
    joined = pd.concat(frames, ignore_index=True)
    return joined.dropna(subset=["volume"])


def volume_slope(frame: pd.DataFrame, outcome: str = "value") -> dict[str, float]:
    """Slope of ``outcome`` per tenfold volume with language and encoder fixed effects.

    ``frame`` needs columns ``language``, ``encoder``, ``volume`` (>= 0) and ``outcome``.
    Returns the slope, its CR2 standard error (clusters: languages), Bell–McCaffrey df, p-value
    and the number of languages whose volume differs between encoders (the identifying ones).
    """
    data = frame.reset_index(drop=True)
    unseen = (data["volume"] <= 0).astype(float).to_numpy()
    log_volume = np.where(unseen > 0, 0.0, np.log10(data["volume"].clip(lower=1e-300)))
    languages = sorted(data["language"].unique())
    encoders = sorted(data["encoder"].unique())
    columns = [log_volume, unseen]
    terms = ["log10_volume", "unseen"]
    for language in languages:  # one dummy per language: no intercept
        columns.append((data["language"] == language).to_numpy(dtype=float))
        terms.append(f"language[{language}]")
    for encoder in encoders[1:]:
        columns.append((data["encoder"] == encoder).to_numpy(dtype=float))
        terms.append(f"encoder[{encoder}]")
    X = np.column_stack(columns)
    keep = [i for i in range(X.shape[1]) if np.any(X[:, i])]  # no unseen row: drop its column
    fit = cr2(data[outcome].to_numpy(dtype=float), X[:, keep], data["language"].tolist(),
              terms=[terms[i] for i in keep])  # fmt: skip
    index = fit.terms.index("log10_volume")
    varying = data.groupby("language")["volume"].nunique()
    return {
        "slope": float(fit.coef[index]),
        "se": float(fit.se[index]),
        "df": float(fit.df[index]),
        "p_value": float(fit.p_value[index]),
        "identifying_languages": int((varying > 1).sum()),
        "rows": len(data),
    }
