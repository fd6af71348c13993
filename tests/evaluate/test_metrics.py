"""Golden tests for the official metrics; every expected value is worked out by hand in a comment.

Chunk notation for seqeval 1.2.2 (default mode): a tag's first letter is its prefix and the rest
its type, so NOUN = prefix N, type "OUN"; consecutive tags of one type merge into one chunk,
prefix S (SCONJ, SYM) always starts and ends a one-token chunk, and X gets the same type as the
sentence separator O, so an X run at a sentence end never closes and is never a chunk.
"""

from __future__ import annotations

import pytest

from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import (
    accuracy,
    average_precision_at_k,
    bucc_apply_threshold,
    bucc_optimize_threshold,
    bucc_prf,
    map_at_k,
    tagging_f1,
    tatoeba_accuracy,
)
from xstilts.evaluate.qa_metrics import (
    mlqa_normalize,
    mlqa_scores,
    squad_normalize,
    squad_v1_scores,
    squad_v2_scores,
)

# ----------------------------------------------------------------------------- accuracy


def test_accuracy_is_percentage_of_equal_pairs() -> None:
    # a=a, b=b, c≠a, a=a → 3/4 = 75
    assert accuracy(["a", "b", "c", "a"], ["a", "b", "a", "a"]) == pytest.approx(75.0)


def test_accuracy_rejects_length_mismatch_and_empty_input() -> None:
    with pytest.raises(XstiltsError, match="must match"):
        accuracy(["a"], ["a", "b"])
    with pytest.raises(XstiltsError, match="no predictions"):
        accuracy([], [])


def test_tatoeba_accuracy_compares_indices() -> None:
    # 3=3, 1=1, 2≠0, 0=0 → 3/4 = 75
    assert tatoeba_accuracy([3, 1, 2, 0], [3, 1, 0, 0]) == pytest.approx(75.0)


# ----------------------------------------------------------------------------- tagging

# "Maria quietly bought a book in Paris yesterday ." — no two neighbouring gold tags are equal.
POS_GOLD = ["PROPN", "ADV", "VERB", "DET", "NOUN", "ADP", "PROPN", "NOUN", "PUNCT"]
POS_PRED = ["PROPN", "ADV", "VERB", "DET", "NOUN", "ADP", "PROPN", "PROPN", "PUNCT"]


def test_pos_f1_is_not_token_accuracy() -> None:
    # Gold: 9 one-token chunks. Prediction: "yesterday" NOUN→PROPN merges with "Paris" into one
    # PROPN chunk (6-7), so the prediction has 8 chunks and loses both the Paris and the yesterday
    # chunk: correct = 9 - 2 = 7. P = 7/8, R = 7/9, F1 = 2*7/(8+9) = 14/17 = 0.8235.
    # Token accuracy = 8/9 = 0.8889.
    scores = tagging_f1([POS_PRED], [POS_GOLD])
    assert scores["f1"] == pytest.approx(100 * 14 / 17)
    assert scores["precision"] == pytest.approx(100 * 7 / 8)
    assert scores["recall"] == pytest.approx(100 * 7 / 9)
    assert scores["token_accuracy"] == pytest.approx(100 * 8 / 9)


def test_pos_sconj_is_always_a_single_token_chunk() -> None:
    # Gold NOUN NOUN SCONJ SCONJ: NOUN(0-1) merged, SCONJ(2) and SCONJ(3) separate → 3 chunks.
    # Pred NOUN PROPN SCONJ SCONJ: NOUN(0), PROPN(1), SCONJ(2), SCONJ(3) → 4 chunks.
    # Correct: SCONJ(2), SCONJ(3) = 2. P = 2/4, R = 2/3, F1 = 2*2/(4+3) = 4/7. Token acc 3/4.
    scores = tagging_f1([["NOUN", "PROPN", "SCONJ", "SCONJ"]], [["NOUN", "NOUN", "SCONJ", "SCONJ"]])
    assert scores["f1"] == pytest.approx(100 * 4 / 7)
    assert scores["precision"] == pytest.approx(50.0)
    assert scores["recall"] == pytest.approx(100 * 2 / 3)
    assert scores["token_accuracy"] == pytest.approx(75.0)


def test_pos_x_at_sentence_end_is_invisible_in_seqeval_1_2_2() -> None:
    # Gold NOUN X: NOUN(0) is a chunk; X has type "_" like the closing O, so it never closes:
    # gold chunks = {NOUN(0)}. Pred NOUN VERB: {NOUN(0), VERB(1)}. Correct 1.
    # P = 1/2, R = 1/1, F1 = 2/3 (seqeval 0.0.12, used for the 2020 XTREME mock data, gives 1/2).
    scores = tagging_f1([["NOUN", "VERB"]], [["NOUN", "X"]])
    assert scores["f1"] == pytest.approx(100 * 2 / 3)
    assert scores["precision"] == pytest.approx(50.0)
    assert scores["recall"] == pytest.approx(100.0)
    assert scores["token_accuracy"] == pytest.approx(50.0)


def test_sentences_never_merge_across_the_boundary() -> None:
    # seqeval joins sentences with an O, so gold [NOUN] [NOUN] = 2 chunks; pred [NOUN] [PROPN]
    # = 2 chunks; correct 1 → P = R = F1 = 1/2. Token accuracy 1/2.
    scores = tagging_f1([["NOUN"], ["PROPN"]], [["NOUN"], ["NOUN"]])
    assert scores["f1"] == pytest.approx(50.0)
    assert scores["token_accuracy"] == pytest.approx(50.0)


def test_ner_iob2_entity_f1() -> None:
    # Gold B-PER I-PER O B-LOC: PER(0-1), LOC(3). Pred B-PER O O B-LOC: PER(0), LOC(3).
    # Correct: LOC(3) only. P = 1/2, R = 1/2, F1 = 1/2. Token accuracy 3/4.
    scores = tagging_f1([["B-PER", "O", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-LOC"]])
    assert scores == pytest.approx(
        {"f1": 50.0, "precision": 50.0, "recall": 50.0, "token_accuracy": 75.0}
    )


def test_ner_default_mode_accepts_a_chunk_opened_by_i() -> None:
    # Default (conlleval-like) mode: I-PER after O opens a PER chunk, so pred I-PER I-PER O has
    # chunk PER(0-1) = gold B-PER I-PER O → F1 1, although only 2/3 tokens are right.
    scores = tagging_f1([["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    assert scores["f1"] == pytest.approx(100.0)
    assert scores["token_accuracy"] == pytest.approx(100 * 2 / 3)


def test_tagging_without_chunks_scores_zero() -> None:
    # No chunk anywhere: seqeval's zero_division="warn" returns 0 for P, R and F1.
    scores = tagging_f1([["O", "O"]], [["O", "O"]])
    assert scores["f1"] == 0.0
    assert scores["token_accuracy"] == pytest.approx(100.0)


def test_tagging_rejects_ragged_sentences() -> None:
    with pytest.raises(XstiltsError, match="sentence 0 has 1 predicted tags but 2 gold"):
        tagging_f1([["O"]], [["O", "O"]])
    with pytest.raises(XstiltsError, match="must match"):
        tagging_f1([["O"]], [["O"], ["O"]])


# ----------------------------------------------------------------------------- SQuAD v1.1


def test_squad_v1_max_over_gold_and_unanswered_is_zero() -> None:
    # q1: "eiffel tower!" → "eiffel tower" = "The Eiffel Tower" → "eiffel tower": EM 1, F1 1.
    # q2: "1889" vs "in 1889": EM 0; overlap 1, P = 1/1, R = 1/2, F1 = 2/3.
    # q3: no prediction → 0. EM = 1/3, F1 = (1 + 2/3)/3 = 5/9.
    # q9 is not a gold id and is ignored.
    gold = {"q1": ["The Eiffel Tower", "Eiffel Tower"], "q2": ["in 1889"], "q3": ["Paris"]}
    predictions = {"q1": "eiffel tower!", "q2": "1889", "q9": "anything"}
    scores = squad_v1_scores(predictions, gold)
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * 5 / 9)


def test_squad_v1_treats_unspaced_chinese_as_one_token() -> None:
    # XQuAD zh under the v1.1 script: "北京" vs "北京大学" are single distinct tokens → F1 0.
    assert squad_v1_scores({"q": "北京"}, {"q": ["北京大学"]})["f1"] == 0.0


def test_squad_v1_keeps_non_ascii_punctuation() -> None:
    # « and » are not in string.punctuation: tokens ["«hello»", "world"] vs ["hello", "world"]
    # → EM 0; overlap 1, P = R = 1/2, F1 = 1/2.
    scores = squad_v1_scores({"q": "«Hello» world"}, {"q": ["hello world"]})
    assert scores == pytest.approx({"exact_match": 0.0, "f1": 50.0})


def test_squad_v1_empty_normalised_answers_match_exactly_but_have_zero_f1() -> None:
    # "a" and "the" both normalise to "": EM 1, but F1 has no common token → 0 (official quirk).
    assert squad_normalize("The") == ""
    assert squad_v1_scores({"q": "a"}, {"q": ["the"]}) == pytest.approx(
        {"exact_match": 100.0, "f1": 0.0}
    )


def test_squad_v1_requires_a_gold_answer() -> None:
    with pytest.raises(XstiltsError, match="no gold answer"):
        squad_v1_scores({}, {"q": []})


# ----------------------------------------------------------------------------- MLQA


def test_mlqa_zh_mixed_segmentation_gives_character_f1() -> None:
    # Tokens 北 京 vs 北 京 大 学: overlap 2, P = 2/2, R = 2/4, F1 = 2/3. EM 0.
    scores = mlqa_scores({"q": "北京"}, {"q": ["北京大学"]}, "zh")
    assert scores == pytest.approx({"exact_match": 0.0, "f1": 100 * 2 / 3})


def test_mlqa_zh_whitespace_between_characters_does_not_matter() -> None:
    # Both normalise to "北 京 大 学" → EM 1.
    assert mlqa_normalize("北京 大学", "zh") == "北 京 大 学"
    assert mlqa_scores({"q": "北京 大学"}, {"q": ["北京大学"]}, "zh")["exact_match"] == 100.0


def test_mlqa_zh_latin_runs_stay_whitespace_tokens() -> None:
    # "iPhone手机" → ["iphone", "手", "机"]; pred ["iphone"]: overlap 1, P = 1, R = 1/3,
    # F1 = 2 * (1/3) / (4/3) = 1/2.
    assert mlqa_normalize("iPhone手机", "zh") == "iphone 手 机"
    assert mlqa_scores({"q": "iPhone"}, {"q": ["iPhone手机"]}, "zh")["f1"] == pytest.approx(50.0)


def test_mlqa_arabic_article_deleted_everywhere_even_inside_words() -> None:
    # "الكتاب" → " كتاب" → "كتاب" = "كتاب": EM 1.
    # "مالك" → "م ك" (the ال inside the word becomes a space) = "م ك": EM 1.
    # "مالك" vs "ملك": tokens ["م", "ك"] vs ["ملك"] → EM 0, F1 0.
    # EM = F1 = 2/3.
    assert mlqa_normalize("مالك", "ar") == "م ك"
    gold = {"q1": ["الكتاب"], "q2": ["مالك"], "q3": ["ملك"]}
    predictions = {"q1": "كتاب", "q2": "م ك", "q3": "مالك"}
    scores = mlqa_scores(predictions, gold, "ar")
    assert scores == pytest.approx({"exact_match": 100 * 2 / 3, "f1": 100 * 2 / 3})


def test_mlqa_articles_depend_on_the_language() -> None:
    # de drops "der": EM 1. Under en, "der" stays: tokens [bundestag] vs [der, bundestag],
    # P = 1, R = 1/2, F1 = 2/3, EM 0.
    assert mlqa_scores({"q": "Bundestag"}, {"q": ["der Bundestag"]}, "de")["exact_match"] == 100.0
    assert mlqa_scores({"q": "Bundestag"}, {"q": ["der Bundestag"]}, "en") == pytest.approx(
        {"exact_match": 0.0, "f1": 100 * 2 / 3}
    )
    assert mlqa_normalize("La casa", "es") == "casa"
    assert mlqa_normalize("cái bàn", "vi") == "bàn"
    # hi has no article list and whitespace tokens: "एक किताब" keeps both words.
    assert mlqa_normalize("एक किताब", "hi") == "एक किताब"


def test_mlqa_removes_unicode_punctuation() -> None:
    # «, » (Pi/Pf) and ¿ (Po) are removed, unlike in the SQuAD v1.1 normaliser.
    assert mlqa_normalize("«Hello» world", "en") == "hello world"
    assert mlqa_normalize("¿Qué?", "es") == "qué"
    assert mlqa_scores({"q": "«Hello» world"}, {"q": ["hello world"]}, "en")["exact_match"] == 100


@pytest.mark.parametrize("language", ["fr", "th", "EN", ""])
def test_mlqa_unknown_language_is_an_error(language: str) -> None:
    with pytest.raises(XstiltsError, match="unknown MLQA language"):
        mlqa_scores({}, {"q": ["x"]}, language)


# ----------------------------------------------------------------------------- SQuAD 2.0


def test_squad_v2_no_answer_scoring_and_breakdown() -> None:
    # a (has answer): "the Denver Broncos team" → [denver, broncos, team] vs [denver, broncos]:
    #   EM 0, P = 2/3, R = 1, F1 = 0.8.
    # b (no answer), pred "": both empty → EM 1, F1 1.
    # c (has answer), pred "": EM 0, F1 0 (one side empty, they disagree).
    # d (no answer), pred "Paris": EM 0, F1 0.
    # exact = 1/4, f1 = (0.8 + 1)/4 = 0.45; HasAns {a, c}: exact 0, f1 0.4; NoAns {b, d}: 0.5, 0.5.
    gold = {"a": ["Denver Broncos"], "b": [], "c": ["Paris"], "d": []}
    predictions = {"a": "the Denver Broncos team", "b": "", "c": "", "d": "Paris"}
    assert squad_v2_scores(predictions, gold) == pytest.approx(
        {
            "exact": 25.0,
            "f1": 45.0,
            "total": 4.0,
            "HasAns_exact": 0.0,
            "HasAns_f1": 40.0,
            "HasAns_total": 2.0,
            "NoAns_exact": 50.0,
            "NoAns_f1": 50.0,
            "NoAns_total": 2.0,
        }
    )


def test_squad_v2_missing_prediction_counts_zero_and_empty_gold_answers_mean_no_answer() -> None:
    # x: gold ["the"] normalises to "" → the only correct answer is "" (official), but x is
    #    HasAns because its raw list is non-empty; pred "" → EM 1, F1 1.
    # y: no prediction → 0, still in the total. exact = f1 = 1/2; no NoAns questions → no keys.
    scores = squad_v2_scores({"x": ""}, {"x": ["the"], "y": ["Paris"]})
    assert scores["exact"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(50.0)
    assert scores["HasAns_total"] == 2.0
    assert "NoAns_exact" not in scores


# ----------------------------------------------------------------------------- BUCC

GOLD_PAIRS = {("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-3"), ("de-4", "en-4")}


def test_bucc_prf_over_pair_sets_with_duplicates_counted_once() -> None:
    # Pred {1-1, 2-2, 3-9} (1-1 listed twice): correct 2, P = 2/3, R = 2/4,
    # F1 = 2 * (2/3)(1/2) / (2/3 + 1/2) = 4/7.
    predicted = [("de-1", "en-1"), ("de-1", "en-1"), ("de-2", "en-2"), ("de-3", "en-9")]
    assert bucc_prf(predicted, GOLD_PAIRS) == pytest.approx(
        {"f1": 100 * 4 / 7, "precision": 100 * 2 / 3, "recall": 50.0}
    )


def test_bucc_prf_without_correct_pair_is_zero() -> None:
    assert bucc_prf({("a", "b")}, GOLD_PAIRS) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


def test_bucc_threshold_is_the_midpoint_after_the_best_cut() -> None:
    # Sorted: 1.30 ✓, 1.20 ✓, 1.10 ✗, 1.05 ✓, 0.90 ✗; |gold| = 4 (de-3/en-3 never proposed).
    # Running F1: 2·1·.25/1.25 = .4; 2·1·.5/1.5 = .667; 2·(2/3)(.5)/(7/6) = .571;
    # 2·.75·.75/1.5 = .75 (best, index 3); 2·.6·.75/1.35 = .667.
    # Threshold = (1.05 + 0.90)/2 = 0.975; it keeps the top 4 → F1 75.
    candidates = [
        (1.10, "de-3", "en-9"),
        (1.30, "de-1", "en-1"),
        (0.90, "de-5", "en-8"),
        (1.20, "de-2", "en-2"),
        (1.05, "de-4", "en-4"),
    ]
    threshold, f1 = bucc_optimize_threshold(candidates, GOLD_PAIRS)
    assert threshold == pytest.approx(0.975)
    assert f1 == pytest.approx(75.0)
    assert bucc_apply_threshold(candidates, threshold) == {
        ("de-1", "en-1"),
        ("de-2", "en-2"),
        ("de-3", "en-9"),
        ("de-4", "en-4"),
    }


def test_bucc_threshold_when_the_best_cut_is_the_last_candidate() -> None:
    # Both candidates correct: F1 .667 then 1.0 at the last index, where the official code reads
    # items[i + 1] and overflows. We use the last score itself: 0.8, which keeps both → F1 100.
    candidates = [(0.9, "a", "x"), (0.8, "b", "y")]
    assert bucc_optimize_threshold(candidates, {("a", "x"), ("b", "y")}) == pytest.approx(
        (0.8, 100.0)
    )


def test_bucc_duplicate_candidates_keep_their_best_score() -> None:
    # (a, x) appears with 0.5 and 0.9 → one candidate scored 0.9 (read_candidate2score).
    # Sorted: (a, x) 0.9 ✓, (b, z) 0.7 ✗ → best at index 0, threshold (0.9 + 0.7)/2 = 0.8, F1 100.
    # Counting the duplicate twice would have put 0.5 in the ranking and (b, z) first.
    candidates = [(0.5, "a", "x"), (0.7, "b", "z"), (0.9, "a", "x")]
    assert bucc_optimize_threshold(candidates, {("a", "x")}) == pytest.approx((0.8, 100.0))
    assert bucc_apply_threshold(candidates, 0.6) == {("a", "x"), ("b", "z")}


def test_bucc_tied_scores_at_the_cut_are_admitted_together() -> None:
    # (a, x) ✓ and (b, y) ✗ tie at 0.9. The scan's best is index 0 (F1 1), threshold
    # (0.9 + 0.9)/2 = 0.9, which also admits (b, y): P = 1/2, R = 1, F1 = 2/3 (what bucc_eval
    # reports after bucc_extract).
    candidates = [(0.9, "a", "x"), (0.9, "b", "y")]
    threshold, f1 = bucc_optimize_threshold(candidates, {("a", "x")})
    assert threshold == pytest.approx(0.9)
    assert f1 == pytest.approx(100 * 2 / 3)


def test_bucc_threshold_without_any_correct_candidate() -> None:
    # Official initial values: threshold 0, F1 0.
    assert bucc_optimize_threshold([(0.9, "a", "z")], {("a", "x")}) == (0.0, 0.0)
    assert bucc_optimize_threshold([], {("a", "x")}) == (0.0, 0.0)


# ----------------------------------------------------------------------------- mAP@k


def test_map_at_20_lareqa_style_with_several_relevant_answers() -> None:
    # q1 relevant {a, b, c}, ranked a x b y c: hits at 1, 3, 5 → (1/1 + 2/3 + 3/5)/min(3, 20)
    #    = (34/15)/3 = 34/45.
    # q2 relevant {d}, ranked x d → (1/2)/1 = 1/2.  q3 has no ranking → 0.
    # mAP = (34/45 + 1/2 + 0)/3 = (113/90)/3 = 113/270.
    ranked = {"q1": ["a", "x", "b", "y", "c"], "q2": ["x", "d"], "extra": ["a"]}
    relevant = {"q1": {"a", "b", "c"}, "q2": {"d"}, "q3": {"e"}}
    assert map_at_k(ranked, relevant, k=20) == pytest.approx(100 * 113 / 270)


def test_ap_normaliser_is_min_of_k_and_relevant_count() -> None:
    # k = 2, relevant {a, b, c}, ranked a b c: top-2 hits 1/1 + 2/2 = 2; divisor min(3, 2) = 2
    # → AP 1 (dividing by 3 would give 2/3).
    assert average_precision_at_k(["a", "b", "c"], {"a", "b", "c"}, k=2) == pytest.approx(1.0)


def test_ap_counts_a_repeated_relevant_id_once() -> None:
    # relevant {a, b}, ranked a a b: hit at 1 (1/1), the second a earns nothing, b at 3 is the
    # 2nd hit (2/3): (1 + 2/3)/2 = 5/6.
    assert average_precision_at_k(["a", "a", "b"], {"a", "b"}, k=20) == pytest.approx(5 / 6)


def test_map_at_20_mewslix_single_gold_is_reciprocal_rank() -> None:
    # The gold entity at rank 16 → 1/16 = 6.25 %; beyond rank 20 → 0.
    ranking = [f"Q{i}" for i in range(1, 31)]
    assert map_at_k({"m": ranking}, {"m": ["Q16"]}) == pytest.approx(6.25)
    assert map_at_k({"m": ranking}, {"m": ["Q21"]}) == 0.0


def test_map_rejects_undefined_inputs() -> None:
    with pytest.raises(XstiltsError, match="no relevant item"):
        map_at_k({}, {"q": []})
    with pytest.raises(XstiltsError, match="k must be at least 1"):
        map_at_k({}, {"q": ["a"]}, k=0)
    with pytest.raises(XstiltsError, match="no gold queries"):
        map_at_k({}, {})
