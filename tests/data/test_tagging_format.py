"""Tagging readers: UD CoNLL-U (words / XTREME-fused), XTREME tsv, raw PAN-X, CCG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xstilts.data.ccg_format import read_ccg, read_ccg_tags_to_id, read_ccgbank_auto
from xstilts.data.conllu_format import UPOS_TAGS, read_conllu
from xstilts.data.tagging_format import PANX_LABELS, read_tagging_tsv
from xstilts.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"
CONLLU = FIXTURES / "conllu"


def _row(*fields: str) -> str:
    return "\t".join(fields) + "\n"


# -------------------------------------------------------------------- CoNLL-U


def test_conllu_reads_upos_and_sentence_ids() -> None:
    examples = read_conllu(CONLLU / "en_demo-ud-dev.conllu")
    first = examples[0]
    assert first.id == "demo-doc-01-0001"
    assert first.tokens == ("The", "museum", "opens", "at", "nine", ".")
    assert first.tags == ("DET", "NOUN", "VERB", "ADP", "NUM", "PUNCT")


def test_conllu_drops_underscore_sentences_like_xtreme() -> None:
    # Sentence 2 has only "_" forms (dropped); sentence 3 has one "_" among five (kept).
    examples = read_conllu(CONLLU / "en_demo-ud-dev.conllu")
    assert [e.id for e in examples] == ["demo-doc-01-0001", "demo-doc-01-0003"]
    assert examples[1].tokens == ("Use", "the", "_", "key", ".")


def test_conllu_words_mode_skips_ranges_and_empty_nodes() -> None:
    examples = read_conllu(CONLLU / "es_demo-ud-test.conllu", multiword="words")
    assert examples[0].tokens == ("Vamos", "a", "el", "mercado", "de", "el", "pueblo", ".")
    assert examples[0].tags == ("VERB", "ADP", "DET", "NOUN", "ADP", "DET", "NOUN", "PUNCT")
    assert examples[1].tokens == ("Dá", "me", "lo", "ahora", ".")
    # The elided verb 6.1 is an empty node: no token for it.
    assert examples[2].tokens == ("Juan", "come", "manzanas", "y", "María", "peras", ".")


def test_conllu_fused_mode_matches_xtreme_conversion() -> None:
    # Expected values are the output of XTREME's third_party/ud-conversion-tools/conllu_to_conll.py
    # --replace_subtokens_with_fused_forms on this file (run once with networkx 1.11).
    examples = read_conllu(CONLLU / "es_demo-ud-test.conllu", multiword="fused")
    assert examples[0].tokens == ("Vamos", "al", "mercado", "del", "pueblo", ".")
    assert examples[0].tags == ("VERB", "ADP", "NOUN", "ADP", "NOUN", "PUNCT")
    assert examples[1].tokens == ("Dámelo", "ahora", ".")  # unique highest word: the verb
    assert examples[1].tags == ("VERB", "ADV", "PUNCT")


def test_fused_head_counts_enhanced_dependencies(tmp_path: Path) -> None:
    # "im" = in + dem: equal basic depth, but "in" has an extra enhanced head (9), so "dem" is the
    # unique highest word and the fused token takes DET; "zum" is a tie decided by UPOS rank.
    # Expected tags come from running XTREME's conversion tool on this input.
    path = tmp_path / "de_test-ud-test.conllu"
    path.write_text(
        "# sent_id = t1\n"
        + _row("1", "Wir", "wir", "PRON", "_", "_", "2", "nsubj", "2:nsubj", "_")
        + _row("2", "gehen", "gehen", "VERB", "_", "_", "0", "root", "0:root", "_")
        + _row("3-4", "zum", "_", "_", "_", "_", "_", "_", "_", "_")
        + _row("3", "zu", "zu", "ADP", "_", "_", "5", "case", "5:case", "_")
        + _row("4", "dem", "der", "DET", "_", "_", "5", "det", "5:det", "_")
        + _row("5", "Bahnhof", "Bahnhof", "NOUN", "_", "_", "2", "obl", "2:obl:zu", "_")
        + _row("6-7", "im", "_", "_", "_", "_", "_", "_", "_", "_")
        + _row("6", "in", "in", "ADP", "_", "_", "8", "case", "8:case|9:dep", "_")
        + _row("7", "dem", "der", "DET", "_", "_", "8", "det", "8:det", "_")
        + _row("8", "Regen", "Regen", "NOUN", "_", "_", "2", "obl", "2:obl:in", "_")
        + _row("9", ".", ".", "PUNCT", "_", "_", "2", "punct", "2:punct", "_")
        + "\n",
        encoding="utf-8",
    )
    (example,) = read_conllu(path, multiword="fused")
    assert example.tokens == ("Wir", "gehen", "zum", "Bahnhof", "im", "Regen", ".")
    assert example.tags == ("PRON", "VERB", "ADP", "NOUN", "DET", "NOUN", "PUNCT")


@pytest.mark.parametrize(("language", "expected"), [("fr", "AUX"), ("de", "NOUN")])
def test_fused_tie_break_uses_the_language_precedence(
    tmp_path: Path, language: str, expected: str
) -> None:
    path = tmp_path / f"{language}_x-ud-test.conllu"
    path.write_text(
        _row("1", "A", "a", "VERB", "_", "_", "0", "root", "_", "_")
        + _row("2-3", "BC", "_", "_", "_", "_", "_", "_", "_", "_")
        + _row("2", "B", "b", "NOUN", "_", "_", "1", "obj", "_", "_")
        + _row("3", "C", "c", "AUX", "_", "_", "1", "aux", "_", "_")
        + "\n",
        encoding="utf-8",
    )
    (example,) = read_conllu(path, multiword="fused")
    assert example.tokens == ("A", "BC")
    assert example.tags == ("VERB", expected)


def test_conllu_strips_zwnj_and_inner_spaces() -> None:
    (persian,) = read_conllu(CONLLU / "fa_demo-ud-test.conllu")
    assert persian.tokens[1] == "کتابها"
    assert "\u200c" not in "".join(persian.tokens)
    (vietnamese,) = read_conllu(CONLLU / "vi_demo-ud-test.conllu")
    assert vietnamese.tokens[0] == "HàNội"
    assert vietnamese.tokens[5] == "ViệtNam"


def test_conllu_short_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "en_bad-ud-dev.conllu"
    path.write_text(
        "# sent_id = s1\n"
        + _row("1", "Hi", "hi", "INTJ", "_", "_", "0", "root", "_", "_")
        + "2\t!\t!\tPUNCT\n\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=re.escape(f"{path}:3: expected 10 tab-separated")):
        read_conllu(path)


def test_conllu_unknown_upos_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "en_bad-ud-dev.conllu"
    path.write_text(_row("1", "Hi", "hi", "INTERJ", "_", "_", "0", "root", "_", "_") + "\n")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: UPOS 'INTERJ'")):
        read_conllu(path)


def test_conllu_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_conllu(tmp_path / "absent.conllu")
    empty = tmp_path / "empty.conllu"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_conllu(empty)


# -------------------------------------------------------------------- XTREME tsv / PAN-X


def test_tsv_reads_sentences_and_labels() -> None:
    examples = read_tagging_tsv(FIXTURES / "udpos" / "train-en.tsv", labels=UPOS_TAGS)
    assert len(examples) == 3
    assert examples[2].tokens == ("Rain", "is", "likely", "tomorrow", ".")
    assert examples[2].tags == ("NOUN", "AUX", "ADJ", "NOUN", "PUNCT")


def test_tsv_test_file_without_labels() -> None:
    examples = read_tagging_tsv(FIXTURES / "udpos" / "test-de.tsv")
    assert [e.tags for e in examples] == [None, None]
    assert examples[1].tokens == ("Morgen", "regnet", "es", "wahrscheinlich", ".")


def test_raw_panx_strips_the_language_prefix() -> None:
    examples = read_tagging_tsv(FIXTURES / "panx" / "en-dev", labels=PANX_LABELS)
    assert examples[0].tokens == ("Paris", "is", "the", "capital", "of", "France")
    assert examples[1].tags == ("B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O")
    assert examples[2].tokens == ("''", "Re:", "Amsterdam", "''")  # only the prefix goes


def test_processed_tokens_that_look_like_prefixes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "dev-en.tsv"
    path.write_text("re:\tO\nthe\tO\nplan\tO\n\n", encoding="utf-8")
    (example,) = read_tagging_tsv(path)
    assert example.tokens == ("re:", "the", "plan")


def test_tsv_label_outside_set_names_the_line() -> None:
    with pytest.raises(DataError, match=r"train-en\.tsv:1: label 'DET' is not in the label set"):
        read_tagging_tsv(FIXTURES / "udpos" / "train-en.tsv", labels=PANX_LABELS)


def test_tsv_ragged_rows_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dev-en.tsv"
    path.write_text("Paris\tB-LOC\nis\nnice\tO\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: expected token<TAB>label")):
        read_tagging_tsv(path)
    path.write_text("Paris\tB-LOC\textra\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: expected token<TAB>label, found 3")):
        read_tagging_tsv(path)


def test_tsv_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "dev-en.tsv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_tagging_tsv(path)


# -------------------------------------------------------------------- CCG


def test_ccg_jiant_layout_with_tag_set() -> None:
    tags_to_id = read_ccg_tags_to_id(FIXTURES / "ccg" / "tags_to_id.json")
    examples = read_ccg(FIXTURES / "ccg" / "ccg.dev", tags_to_id=tags_to_id)
    assert [e.id for e in examples] == ["0", "1", "2"]
    assert examples[0].tokens == ("Mary", "reads", "books", ".")
    assert examples[0].tags == ("NP", r"(S[dcl]\NP)/NP", "N", ".")
    assert all(tag in tags_to_id for e in examples for tag in e.tags or ())


def test_ccg_unknown_category_and_count_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "ccg.dev"
    path.write_text("Mary sleeps .\tNP S[dcl]\\NP .\nMary sleeps .\tNP S[xyz]\\NP .\n")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: category 'S[xyz]\\\\NP'")):
        read_ccg(path, tags_to_id={"NP": 0, "S[dcl]\\NP": 1, ".": 2})
    path.write_text("Mary sleeps .\tNP .\n")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: 3 tokens but 2 categories")):
        read_ccg(path)


def test_ccgbank_auto_leaves() -> None:
    examples = read_ccgbank_auto(FIXTURES / "ccg" / "wsj_9901.auto")
    assert [e.id for e in examples] == ["wsj_9901.1", "wsj_9901.2"]
    assert examples[0].tokens == ("Mary", "reads", "books", ".")
    assert examples[0].tags == ("N", r"(S[dcl]\NP)/NP", "N", ".")
