"""What ``google/xtreme`` holds, and which of its configs and splits a task needs.

The tables are read from the ``xtreme.py`` loading script the parquet files were generated from
(``_PAWSX_LANG``, ``_PAN_X_LANG``, ... and the parser classes). They are facts about the
repository (its config names, splits and label ids), read by the task specs that build their
:class:`~xstilts.data.hub.source.HubSource` from them and by the converters (which language a
config names, which label an id means).
"""

from __future__ import annotations

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

_HUB_SPLITS_UDPOS_TEST_ONLY = ("Tagalog", "Thai", "Yoruba")


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
