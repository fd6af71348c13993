"""What a continued-MLM design costs, on paper: tokens, GPU-hours and disk per cell.

The numbers are arithmetic on stated assumptions, not measurements of a pretraining run:

- **Throughput.** The repository's H200 bench (``benchmarks/gpu/results.md``) measured XLM-R-base
  training at 289,129 tokens/s (384-token padded sequences, batch 32, bf16, classification head).
  Continued MLM at 512 tokens costs more per token: attention grows with the length, and the LM
  head's 768 x 250,002 decoder runs on the 15% masked tokens. Per token, the bench shape is
  6 N + 12 L d T = 6 * 85.05M + 12 * 12 * 768 * 384 = 552.8 MFLOP; MLM at 512 adds
  12 * 12 * 768 * 128 more for attention and 0.15 * 6 * 768 * (250,002 + 768) for the head:
  740.3 MFLOP. Scaling the measured rate by 552.8 / 740.3 gives **215,900 tokens/s per H200**
  (an estimate: the bench was host-bound at 23% MFU, so a larger MLM step may well run closer to
  the measured rate than this FLOP ratio says).
- **Disk per cell.** The cell keeps the continued encoder in fp32 safetensors: XLM-R-base has
  278M parameters, 1.11 GB (+1 MB for the LM head's bias and dense layer). While it trains, the
  resume state holds the parameters and AdamW's two moments, 3.3 GB more, removed when the cell
  is done.
- **Corpus.** Uncompressed UTF-8 bytes per token of each language from the CC-100 sizes in the
  language table (``cc100_gib`` / ``cc100_tokens_m``, Conneau et al. 2020, arXiv 1911.02116
  Table 6); budgets are nested prefixes of each language's folder, so the text on disk is the
  largest budget of each language, shared by every cell; so are the token files the training
  stream reads (4 bytes a token, written once per language and tokenizer).
"""

from __future__ import annotations

from dataclasses import dataclass

from xstilts.config_pretraining import PretrainingConfig
from xstilts.errors import XstiltsError
from xstilts.languages.table import language

MEASURED_TOKENS_PER_SECOND = 289_129  # benchmarks/gpu/results.md, XLM-R-base 384 tokens, H200
NON_EMBEDDING_PARAMETERS = 85.05e6
LAYERS, HIDDEN, VOCABULARY = 12, 768, 250_002
MASKED_SHARE = 0.15
CHECKPOINT_GB = 278.0e6 * 4 / 1e9  # fp32 parameters of XLM-R-base
RESUME_STATE_GB = 3 * CHECKPOINT_GB  # parameters + AdamW exp_avg + exp_avg_sq
TOKEN_BYTES = 4  # uint32 token files (mlm_stream.write_tokens)


def flops_per_token(length: int, masked_lm: bool) -> float:
    """Training FLOPs per token (6 N + attention; the MLM head on the masked share)."""
    flops = 6 * NON_EMBEDDING_PARAMETERS + 12 * LAYERS * HIDDEN * length
    if masked_lm:
        flops += MASKED_SHARE * 6 * HIDDEN * (VOCABULARY + HIDDEN)
    return flops


def assumed_tokens_per_second(length: int = 512) -> float:
    """The measured bench rate scaled to continued MLM at ``length`` tokens (module docstring)."""
    ratio = flops_per_token(384, masked_lm=False) / flops_per_token(length, masked_lm=True)
    return MEASURED_TOKENS_PER_SECOND * ratio


def bytes_per_token(code: str) -> float:
    """Uncompressed CC-100 bytes per XLM-R token of a language (from the language table)."""
    info = language(code)
    if not info.cc100_tokens_m:
        raise XstiltsError(f"{code}: the language table has no CC-100 token count")
    return info.cc100_gib * 2**30 / (info.cc100_tokens_m * 1e6)


@dataclass(frozen=True)
class CellCost:
    index: int
    tokens: int  # all languages, English replay included
    english: int
    gpu_hours: float  # on one H200 at the assumed rate
    disk_gb: float  # the finished cell
    peak_disk_gb: float  # while training (resume state included)


def cell_costs(section: PretrainingConfig) -> list[CellCost]:
    rate = assumed_tokens_per_second(section.train.max_length)
    costs = []
    for index, cell in enumerate(section.designed_cells()):
        english = section.english_tokens(cell)
        tokens = sum(cell.values()) + english
        costs.append(CellCost(
            index, tokens, english, tokens / rate / 3600, CHECKPOINT_GB,
            CHECKPOINT_GB + RESUME_STATE_GB,
        ))  # fmt: skip
    return costs


def largest_budgets(section: PretrainingConfig) -> dict[str, int]:
    """Each language's largest budget over the cells (English: its largest replay)."""
    largest: dict[str, int] = {}
    for cell in section.designed_cells():
        for code, tokens in {**cell, section.english: section.english_tokens(cell)}.items():
            largest[code] = max(largest.get(code, 0), tokens)
    return largest


def corpus_gb(section: PretrainingConfig) -> dict[str, float]:
    """Text each language's folder must hold: its largest budget's worth of bytes."""
    largest = largest_budgets(section)
    return {code: tokens * bytes_per_token(code) / 1e9 for code, tokens in largest.items()}


def cost_table(section: PretrainingConfig) -> str:
    """The Markdown table docs/controlled.md shows (a test keeps the two identical)."""
    rows = ["| cell | budgets (tokens) | English replay | tokens | H200 GPU-hours | disk (GB) |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    cells = section.designed_cells()
    for cost, cell in zip(cell_costs(section), cells, strict=True):
        budgets = ", ".join(f"{code} {_short(tokens)}" for code, tokens in cell.items())
        rows.append(
            f"| {cost.index} | {budgets} | {_short(cost.english)} | {cost.tokens / 1e9:.3f} B "
            f"| {cost.gpu_hours:.2f} | {cost.disk_gb:.2f} (peak {cost.peak_disk_gb:.2f}) |"
        )
    total = cell_costs(section)
    rows.append(
        f"| all | | | {sum(c.tokens for c in total) / 1e9:.3f} B "
        f"| {sum(c.gpu_hours for c in total):.2f} | {sum(c.disk_gb for c in total):.2f} |"
    )
    corpus = corpus_gb(section)
    token_gb = sum(largest_budgets(section).values()) * TOKEN_BYTES / 1e9
    rows.append("")
    rows.append("Corpus text on disk (uncompressed, largest budget per language, shared by cells): "
                + ", ".join(f"{code} {gb:.1f} GB" for code, gb in sorted(corpus.items()))
                + f"; {sum(corpus.values()):.1f} GB in all. Token files (uint32, "
                + f"`<cell_dir>/tokens/`, shared by cells): {token_gb:.1f} GB.")  # fmt: skip
    return "\n".join(rows)


def _short(tokens: int) -> str:
    for unit, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if tokens >= size:
            return f"{tokens / size:g}{unit}"
    return str(tokens)
