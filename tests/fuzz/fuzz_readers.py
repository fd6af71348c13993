"""Every format reader as a fuzz target: its valid fixture, a record count that does not trust
the reader, and the label mutations that must make it fail."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzz_mutations import hostile_field, hostile_json_key
from hypothesis import strategies as st

from xstilts.data import ccg_format as cg
from xstilts.data import classification_format as cf
from xstilts.data import conllu_format as ud
from xstilts.data import multiple_choice_format as mc
from xstilts.data import retrieval_format as rf
from xstilts.data import squad_format as sq
from xstilts.data import tagging_format as tf
from xstilts.tasks.catalog.mlm import read_lines
from xstilts.tasks.catalog.tatoeba import load_tatoeba
from xstilts.tasks.catalog.xnli import XNLI_LANGUAGES

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
DEMO = Path(__file__).resolve().parents[2] / "src" / "xstilts" / "demo" / "data"

Counter_ = Callable[[bytes], "int | None"]
Hostile = Callable[[bytes], Any]  # data -> strategy of (name, bytes) | None


@dataclass(frozen=True)
class ReaderTarget:
    """A reader called on ``folder / main`` (its other fixture files copied beside it)."""

    name: str
    fixture: Path
    main: str
    call: Callable[[Path], Any]
    count: Counter_
    hostile: Hostile | None = None
    extra: tuple[Path, ...] = ()
    size: Callable[[Any], int] = len

    def prepare(self, folder: Path, data: bytes) -> Path:
        for path in self.extra:
            shutil.copy(path, folder / path.name)
        (folder / self.main).write_bytes(data)
        return folder / self.main


def _lines(data: bytes) -> list[str] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return [line.rstrip("\r\n") for line in text.split("\n")]


def tsv_rows(keep: Callable[[str], bool] = lambda line: True) -> Counter_:
    def count(data: bytes) -> int | None:
        lines = _lines(data)
        return None if lines is None else sum(1 for x in lines[1:] if x != "" and keep(x))

    return count


def nonblank_lines(data: bytes) -> int | None:
    lines = _lines(data)
    return None if lines is None else sum(1 for line in lines if line.strip())


def blocks(breaks: Callable[[str], bool]) -> Counter_:
    def count(data: bytes) -> int | None:
        lines = _lines(data)
        if lines is None:
            return None
        total, inside = 0, False
        for line in lines:
            if breaks(line):
                inside = False
            elif not inside:
                total, inside = total + 1, True
        return total

    return count


def json_count(walk: Callable[[Any], int]) -> Counter_:
    def count(data: bytes) -> int | None:
        try:
            return walk(json.loads(data.decode("utf-8")))
        except Exception:
            return None

    return count


def squad_questions(document: Any) -> int:
    return sum(len(p["qas"]) for a in document["data"] for p in a["paragraphs"])


def jsonl_count(per_record: Callable[[Any], int]) -> Counter_:
    def count(data: bytes) -> int | None:
        lines = _lines(data)
        try:
            return sum(per_record(json.loads(x)) for x in lines or () if x.strip())
        except Exception:
            return None

    return count


def column(index: int, header: bool = True, separator: bytes = b"\t") -> Hostile:
    return lambda data: hostile_field(data, index, separator, header)


def json_keys(keys: tuple[str, ...], values: tuple[str, ...]) -> Hostile:
    return lambda data: hostile_json_key(data, keys, values)


@st.composite
def cosmos_label(draw: st.DrawFn, data: bytes) -> tuple[str, bytes] | None:
    """Set one csv record's label (csv-aware: Cosmos QA fields hold quoted newlines)."""
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error):
        return None
    if len(rows) < 2 or rows[0][-1:] != ["label"]:
        return None
    index = draw(st.integers(1, len(rows) - 1))
    rows[index][-1] = draw(st.sampled_from(("4", "-1", "١", "²", "9" * 5000, "1.0", "x")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return "bad_label", out.getvalue().encode("utf-8")


UPOS_ROW = b"\t"
_LABEL_INT2 = ("-1", "2", "99", "true", "1.5", '"\u0661"', '"x"', "1e400", "null")
_NLI = ('"E"', '"entail"', '"x"', "1", "null", '"Neutral"')


def _conllu_upos(data: bytes) -> Any:
    """UPOS of a word line (the first field a plain integer) replaced by a hostile tag."""
    lines = data.split(b"\n")
    words = [i for i, line in enumerate(lines) if line.split(b"\t")[0].isdigit()]
    if not words:
        return st.none()
    return st.builds(
        lambda i, tag: ("bad_label", b"\n".join(_set_field(lines, i, 3, tag))),
        st.sampled_from(words),
        st.sampled_from((b"NOUN ", b"noun", b"\xd9\xa1", b"PROPN2", b"-")),
    )


def _set_field(lines: list[bytes], index: int, field: int, value: bytes) -> list[bytes]:
    fields = lines[index].split(b"\t")
    if len(fields) > field:
        fields[field] = value
    return [*lines[:index], b"\t".join(fields), *lines[index + 1 :]]


def _xnli_en(line: str) -> bool:
    return line.split("\t")[0] == "en"


def _pool_size(pool: Any) -> int:
    return len(pool.questions)


def _pair_size(pair: Any) -> int:
    return len(pair.source)


def _pairs_size(pairs: Any) -> int:
    return sum(len(pair.source) for pair in pairs)


def _lareqa_questions(document: Any) -> int:
    return squad_questions(document) + 2  # de.json, copied beside, holds two questions


def _tag_break(line: str) -> bool:
    return not line.strip() or line.startswith("-DOCSTART-")


F = FIXTURES
READERS: tuple[ReaderTarget, ...] = (
    ReaderTarget("mnli", F / "mnli/dev_matched.tsv", "dev_matched.tsv", cf.read_mnli_tsv,
                 tsv_rows(), column(15)),
    ReaderTarget("xnli", F / "xnli/xnli.dev.tsv", "xnli.dev.tsv",
                 lambda p: cf.read_xnli_tsv(p, "en", XNLI_LANGUAGES), tsv_rows(_xnli_en),
                 lambda d: st.one_of(hostile_field(d, 0), hostile_field(d, 1))),
    ReaderTarget("xnli_mt", F / "xnli_mt/multinli.train.de.tsv", "train.tsv",
                 cf.read_xnli_mt_tsv, tsv_rows(), column(2)),
    ReaderTarget("pawsx", F / "pawsx/de/dev_2k.tsv", "dev_2k.tsv", cf.read_pawsx_tsv,
                 tsv_rows(), column(3)),
    ReaderTarget("qqp", F / "qqp/dev.tsv", "dev.tsv", cf.read_qqp_tsv, tsv_rows(), column(5)),
    ReaderTarget("sst2", F / "sst2/dev.tsv", "dev.tsv", cf.read_sst2_tsv, tsv_rows(), column(1)),
    ReaderTarget("snli", F / "snli/snli_1.0_dev.jsonl", "dev.jsonl", cf.read_snli_jsonl,
                 nonblank_lines, json_keys(("gold_label",), _NLI)),
    ReaderTarget("anli", F / "anli/R1/dev.jsonl", "dev.jsonl", cf.read_anli_jsonl,
                 nonblank_lines, json_keys(("label",), _NLI)),
    ReaderTarget("copa", F / "copa/val.jsonl", "val.jsonl", mc.read_copa_jsonl, nonblank_lines,
                 json_keys(("label",), _LABEL_INT2)),
    ReaderTarget("xcopa", F / "xcopa/val.it.jsonl", "val.it.jsonl", mc.read_copa_jsonl,
                 nonblank_lines, json_keys(("label",), _LABEL_INT2)),
    ReaderTarget("siqa", F / "siqa/socialIQa_v1.4_dev.jsonl", "dev.jsonl", mc.read_siqa_jsonl,
                 nonblank_lines, json_keys(("correct",), ('"D"', '"a"', '"1"', "1", "null"))),
    ReaderTarget("siqa_labels", F / "siqa/dev-labels.lst", "dev-labels.lst",
                 lambda p: mc.read_siqa_jsonl(p.parent / "dev.jsonl", p), nonblank_lines,
                 column(0, header=False), extra=(F / "siqa/dev.jsonl",)),
    ReaderTarget("hellaswag", F / "hellaswag/hellaswag_val.jsonl", "val.jsonl",
                 mc.read_hellaswag_jsonl, nonblank_lines,
                 json_keys(("label",), ("-1", "4", "true", "1.5", '"\u0663"', "1e400"))),
    ReaderTarget("cosmosqa_csv", F / "cosmosqa/valid.csv", "valid.csv", mc.read_cosmosqa,
                 lambda d: None, cosmos_label),
    ReaderTarget("cosmosqa_jsonl", F / "cosmosqa/test.jsonl", "test.jsonl", mc.read_cosmosqa,
                 nonblank_lines),
    ReaderTarget("commonsenseqa", F / "commonsenseqa/dev_rand_split.jsonl", "dev.jsonl",
                 mc.read_commonsenseqa_jsonl, nonblank_lines,
                 json_keys(("answerKey",), ('"Z"', '"a"', "1", "null", '""'))),
    ReaderTarget("squad_v1", F / "squad/dev-v1.1.json", "dev.json", sq.read_squad,
                 json_count(squad_questions),
                 json_keys(("answer_start",), ("-1", "-5", "100000", "1.5", "true", '"3"'))),
    ReaderTarget("squad_v2", F / "squad/train-v2.0.json", "train.json", sq.read_squad,
                 json_count(squad_questions),
                 json_keys(("answer_start",), ("-1", "-5", "100000", "1.5", "true", '"3"'))),
    ReaderTarget("xquad", F / "squad/xquad.de.json", "xquad.de.json", sq.read_squad,
                 json_count(squad_questions),
                 json_keys(("answer_start",), ("-2", "100000", "1e400", "null"))),
    ReaderTarget("conllu", F / "conllu/en_demo-ud-dev.conllu", "en_demo-ud-dev.conllu",
                 ud.read_conllu, blocks(lambda line: not line.strip()), _conllu_upos),
    ReaderTarget("conllu_fused", F / "conllu/es_demo-ud-test.conllu", "es_demo-ud-test.conllu",
                 lambda p: ud.read_conllu(p, multiword="fused"),
                 blocks(lambda line: not line.strip()), _conllu_upos),
    ReaderTarget("udpos_tsv", F / "udpos/train-en.tsv", "train-en.tsv",
                 lambda p: tf.read_tagging_tsv(p, labels=ud.UPOS_TAGS), blocks(_tag_break),
                 column(1, header=False)),
    ReaderTarget("panx", F / "panx/en-dev", "en-dev",
                 lambda p: tf.read_tagging_tsv(p, labels=tf.PANX_LABELS), blocks(_tag_break),
                 column(1, header=False)),
    ReaderTarget("ccg", F / "ccg/ccg.dev", "ccg.dev",
                 lambda p: cg.read_ccg(p, tags_to_id=p.parent / "tags_to_id.json"),
                 nonblank_lines, column(1, header=False), extra=(F / "ccg/tags_to_id.json",)),
    ReaderTarget("ccg_tags", F / "ccg/tags_to_id.json", "tags_to_id.json",
                 cg.read_ccg_tags_to_id, lambda d: None,
                 json_keys(("N", "NP"), ("1.5", "true", '"1"', "null"))),
    ReaderTarget("ccgbank", F / "ccg/wsj_9901.auto", "wsj_9901.auto", cg.read_ccgbank_auto,
                 lambda d: None),
    ReaderTarget("bucc_source", F / "bucc2018/de-en.dev.de", "de-en.dev.de",
                 lambda p: rf.read_bucc2018(p.parent, "de", "dev"), nonblank_lines,
                 extra=(F / "bucc2018/de-en.dev.en", F / "bucc2018/de-en.dev.gold"),
                 size=_pair_size),
    ReaderTarget("bucc_gold", F / "bucc2018/de-en.dev.gold", "de-en.dev.gold",
                 lambda p: rf.read_bucc2018(p.parent, "de", "dev"), lambda d: None,
                 extra=(F / "bucc2018/de-en.dev.en", F / "bucc2018/de-en.dev.de"),
                 size=_pair_size),
    ReaderTarget("tatoeba", F / "tatoeba/tatoeba.deu-eng.deu", "tatoeba.deu-eng.deu",
                 lambda p: load_tatoeba(p.parent, "test", "de"), lambda d: None,
                 extra=(F / "tatoeba/tatoeba.deu-eng.eng",), size=_pairs_size),
    ReaderTarget("lareqa", F / "lareqa/xquad-r/en.json", "en.json",
                 lambda p: rf.read_lareqa(p.parent), json_count(_lareqa_questions),
                 json_keys(("answer_start",), ("1.5", "true", '"3"', "null")),
                 extra=(F / "lareqa/xquad-r/de.json",), size=_pool_size),
    ReaderTarget("mewslix_mentions", F / "mewslix/wikinews_mentions-dev.jsonl", "m.jsonl",
                 rf.read_mewslix_mentions, jsonl_count(lambda r: len(r["mentions"])),
                 json_keys(("start",), ("-1", "100000000", "true", "1.5"))),
    ReaderTarget("mewslix_entities", F / "mewslix/candidate_set_entities.jsonl", "e.jsonl",
                 rf.read_mewslix_entities, nonblank_lines,
                 json_keys(("start", "end"), ("-1", "100000000", "true", "1.5"))),
    ReaderTarget("mewslix_pairs", F / "mewslix/wikipedia_pairs-train.jsonl", "p.jsonl",
                 rf.read_mewslix_pairs, nonblank_lines,
                 json_keys(("start",), ("-1", "100000000", "true", "1.5"))),
    ReaderTarget("mlm_text", DEMO / "mlm/de.txt", "de.txt",
                 lambda p: read_lines(p, p.parent, "de"), nonblank_lines),
)  # fmt: skip
