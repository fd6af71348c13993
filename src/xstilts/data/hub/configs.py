"""What ``google/xtreme`` holds, and which of its configs and splits a task needs.

The tables are read from the ``xtreme.py`` loading script the parquet files were generated from
(``_PAWSX_LANG``, ``_PAN_X_LANG``, ... and the parser classes). They live apart from the
converters because both :func:`xstilts.data.hub.fetch` (what to download) and the converters
(which language a config names, which label an id means) read them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from xstilts.errors import XstiltsError

DEFAULT_REPO = "google/xtreme"

XNLI_HUB_LANGUAGES = (
    "en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur",
)  # fmt: skip
PAWSX_HUB_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
PANX_HUB_LANGUAGES = (
    "af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
    "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru",
    "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip
XQUAD_HUB_LANGUAGES = ("ar", "de", "vi", "zh", "en", "es", "hi", "el", "ru", "th", "tr")
MLQA_HUB_LANGUAGES = ("ar", "de", "vi", "zh", "en", "es", "hi")
BUCC_HUB_LANGUAGES = ("de", "fr", "zh", "ru")

#: ``udpos.{Name}`` configs: ISO 639-1 → the English language name the Hub config uses.
UDPOS_HUB_NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "eu": "Basque", "bg": "Bulgarian", "nl": "Dutch",
    "en": "English", "et": "Estonian", "fi": "Finnish", "fr": "French", "de": "German",
    "el": "Greek", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "zh": "Chinese",
    "mr": "Marathi", "fa": "Persian", "pt": "Portuguese", "ru": "Russian", "es": "Spanish",
    "tl": "Tagalog", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba",
}  # fmt: skip

#: ``tatoeba.{xxx}`` configs: ISO 639-1 → the LASER file code (the XTREME 36).
TATOEBA_HUB_CODES: dict[str, str] = {
    "af": "afr", "ar": "ara", "bn": "ben", "bg": "bul", "de": "deu", "zh": "cmn", "el": "ell",
    "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun",
    "id": "ind", "it": "ita", "jv": "jav", "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor",
    "ml": "mal", "mr": "mar", "nl": "nld", "fa": "pes", "pt": "por", "ru": "rus", "es": "spa",
    "sw": "swh", "ta": "tam", "te": "tel", "tl": "tgl", "th": "tha", "tr": "tur", "ur": "urd",
    "vi": "vie",
}  # fmt: skip

#: The language names that prefix TyDiQA-GoldP question ids (``arabic-…``), → ISO 639-1.
TYDIQA_ID_LANGUAGES: dict[str, str] = {
    "arabic": "ar", "bengali": "bn", "english": "en", "finnish": "fi", "indonesian": "id",
    "korean": "ko", "russian": "ru", "swahili": "sw", "telugu": "te",
}  # fmt: skip

#: ``ner_tags`` ClassLabel names, in id order (``PanxParser.features``).
PANX_HUB_LABELS: tuple[str, ...] = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
#: ``pos_tags`` ClassLabel names, in id order (``UdposParser.features``: alphabetical).
UPOS_HUB_LABELS: tuple[str, ...] = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
    "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip

HUB_CONFIGS: dict[str, str] = {
    "xnli": "XNLI (validation, test) -> xnli.dev.tsv, xnli.test.tsv; the Hub has no training "
    "set: add XNLI-MT-1.0's multinli/multinli.train.en.tsv yourself",
    "pawsx": "PAWS-X.{de,en,es,fr,ja,ko,zh} (train, validation, test) -> {lang}/train.tsv or "
    "translated_train.tsv, dev_2k.tsv, test_2k.tsv; Hub en train has 49,175 of 49,401 rows",
    "panx": "PAN-X.{lang} for the 40 XTREME languages (train, validation, test) -> raw WikiANN "
    "files {lang}-train, {lang}-dev, {lang}-test (test tags included)",
    "udpos": "udpos.{LanguageName} for the 33 XTREME languages -> {split}-{lang}.tsv; NOT "
    "XTREME's UD-POS (multiword tokens split, treebanks matched by name); use UD v2.5 for "
    "comparable numbers",
    "xquad": "SQuAD (train, validation) + XQuAD.{lang} (validation) -> train-v1.1.json, "
    "dev-v1.1.json, xquad.{lang}.json",
    "mlqa": "SQuAD (train) + MLQA.{lang}.{lang} (validation, test) -> train-v1.1.json, "
    "dev/dev-context-{lang}-question-{lang}.json, test/test-context-...json",
    "tydiqa": "tydiqa (train, validation; all 9 languages, split by id prefix) -> "
    "tydiqa-goldp-v1.1-train/tydiqa.{lang}.train.json, "
    "tydiqa-goldp-v1.1-dev/tydiqa.{lang}.dev.json",
    "bucc2018": "bucc18.{de,fr,ru,zh} (validation, test) -> {lang}-en.{dev,test}.{lang,en,gold}; "
    "gold pairs ONLY (no distractor sentences): not the BUCC mining task",
    "tatoeba": "tatoeba.{xxx} for the 36 XTREME languages (validation) -> tatoeba.{xxx}-eng.{xxx}, "
    "tatoeba.{xxx}-eng.eng",
    "squad": "SQuAD (train, validation) -> train-v1.1.json, dev-v1.1.json (SQuAD v1.1)",
}

#: What the user should know after a fetch, where the Hub differs from the release that
#: published numbers were computed on (``{task_dir}`` is filled in).
NOTES: dict[str, str] = {
    "xnli": "the Hub's XNLI has no training set: put XNLI-MT-1.0's multinli/"
    "multinli.train.en.tsv (https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip) into {task_dir}",
    "pawsx": "the Hub's PAWS-X training sets lost rows to the loading script's quote-aware "
    "tsv parsing (en: 49,175 of the release's 49,401)",
    "udpos": "the Hub's udpos is not XTREME's UD-POS (multiword tokens are split into words, "
    "treebanks are matched by language name, ZWNJ is kept): scores are not comparable with "
    "published XTREME POS numbers; for those, replace these files in {task_dir} by the UD v2.5 "
    ".conllu release (a split found in both layouts is refused)",
    "bucc2018": "the Hub's bucc18 holds only the gold pairs (no distractor sentences), so mining "
    "F1 on these files is NOT BUCC 2018 F1; for that, use the original tarballs from "
    "https://comparable.limsi.fr/bucc2018/",
}

#: Tasks trained (and model-selected) on English: English is always fetched with them.
_ENGLISH_TRAINED = ("xnli", "pawsx", "panx", "udpos", "xquad", "mlqa", "tydiqa")

_HUB_SPLITS_UDPOS_TEST_ONLY = ("Tagalog", "Thai", "Yoruba")

_LANGUAGES: dict[str, Sequence[str]] = {
    "xnli": XNLI_HUB_LANGUAGES,
    "pawsx": PAWSX_HUB_LANGUAGES,
    "panx": PANX_HUB_LANGUAGES,
    "udpos": tuple(UDPOS_HUB_NAMES),
    "xquad": XQUAD_HUB_LANGUAGES,
    "mlqa": MLQA_HUB_LANGUAGES,
    "tydiqa": tuple(TYDIQA_ID_LANGUAGES.values()),
    "bucc2018": BUCC_HUB_LANGUAGES,
    "tatoeba": tuple(TATOEBA_HUB_CODES),
    "squad": ("en",),
}

#: Tasks whose one config holds every language (rows are filtered by language instead).
_SHARED_CONFIG = {"xnli": "XNLI", "tydiqa": "tydiqa", "squad": "SQuAD"}

#: Tasks with one config per language: ISO 639-1 → config name.
_CONFIG_OF_LANGUAGE: dict[str, Callable[[str], str]] = {
    "pawsx": lambda language: f"PAWS-X.{language}",
    "panx": lambda language: f"PAN-X.{language}",
    "udpos": lambda language: f"udpos.{UDPOS_HUB_NAMES[language]}",
    "xquad": lambda language: f"XQuAD.{language}",
    "mlqa": lambda language: f"MLQA.{language}.{language}",
    "bucc2018": lambda language: f"bucc18.{language}",
    "tatoeba": lambda language: f"tatoeba.{TATOEBA_HUB_CODES[language]}",
}

#: The SQuAD splits fetched first for tasks that train (and select) on SQuAD v1.1.
_SQUAD_SPLITS = {"xquad": ("train", "validation"), "mlqa": ("train",)}


def hub_splits(config: str) -> tuple[str, ...]:
    """The splits the Hub holds for ``config`` (``_split_generators`` of the loading script)."""
    family, _, rest = config.partition(".")
    if config == "XNLI":
        return ("validation", "test")
    if config in ("tydiqa", "SQuAD"):
        return ("train", "validation")
    if family in ("PAN-X", "PAWS-X"):
        return ("train", "validation", "test")
    if family in ("XQuAD", "tatoeba"):
        return ("validation",)
    if family in ("MLQA", "bucc18"):
        return ("validation", "test")
    if family == "udpos":
        if rest in _HUB_SPLITS_UDPOS_TEST_ONLY:
            return ("test",)
        if rest == "Kazakh":
            return ("train", "test")
        return ("train", "validation", "test")
    raise XstiltsError(f"unknown {DEFAULT_REPO} config {config!r}")


def hub_languages(task: str) -> tuple[str, ...]:
    """The languages (ISO 639-1) the Hub holds for ``task``."""
    if task not in _LANGUAGES:
        raise XstiltsError(
            f"task {task!r} is not on {DEFAULT_REPO}; fetchable: {', '.join(HUB_CONFIGS)}"
        )
    return tuple(_LANGUAGES[task])


def select_languages(task: str, languages: Collection[str] = ()) -> tuple[str, ...]:
    """Requested languages in the Hub's order (all when none is given), English added where
    the task trains or selects models on English."""
    available = hub_languages(task)
    unknown = [lang for lang in languages if lang not in available]
    if unknown:
        raise XstiltsError(
            f"{task} on {DEFAULT_REPO} has no language(s) {', '.join(unknown)}; "
            f"it has {' '.join(available)}"
        )
    wanted = set(languages) or set(available)
    if task in _ENGLISH_TRAINED and "en" in available:
        wanted.add("en")
    return tuple(lang for lang in available if lang in wanted)


def hub_plan(task: str, languages: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(config, split)`` pairs :func:`~xstilts.data.hub.fetch` loads for ``task`` in
    ``languages``: SQuAD first where the task trains on it, then every split of each config."""
    chosen = select_languages(task, languages)  # rejects every task not on the Hub
    if task in _SHARED_CONFIG:
        configs = [_SHARED_CONFIG[task]]
    else:
        configs = [_CONFIG_OF_LANGUAGE[task](lang) for lang in chosen]
    plan = [("SQuAD", split) for split in _SQUAD_SPLITS.get(task, ())]
    return plan + [(config, split) for config in configs for split in hub_splits(config)]


def config_language(config: str) -> str:
    """The ISO 639-1 language of a single-language config (``PAN-X.de``, ``udpos.German``)."""
    family, _, rest = config.partition(".")
    if family == "udpos":
        by_name = {name: iso for iso, name in UDPOS_HUB_NAMES.items()}
        if rest in by_name:
            return by_name[rest]
    elif family == "tatoeba":
        by_code = {code: iso for iso, code in TATOEBA_HUB_CODES.items()}
        if rest in by_code:
            return by_code[rest]
    elif family == "MLQA":
        context_language, _, question_language = rest.partition(".")
        if context_language and context_language == question_language:
            return context_language
        raise XstiltsError(
            f"{config}: only same-language MLQA configs (MLQA.xx.xx) are read, as in XTREME"
        )
    elif rest:
        return rest
    raise XstiltsError(f"cannot tell the language of {DEFAULT_REPO} config {config!r}")
