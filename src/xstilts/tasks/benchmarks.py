"""The XTREME and XTREME-R benchmark suites as data: versions, each task's official language
list and the task groups.

Source: ``google-research/xtreme:evaluate.py`` (``XTREME_TASK2LANGS``, ``XTREME_R_TASK2LANGS``,
``XTREME_GROUP2TASK``, ``XTREME_R_GROUP2TASK``). Task specs read their languages from here and
``evaluate/xtreme_score.py`` averages over them, so the lists live at the start of the data flow.
One deliberate difference: the official XTREME-R list gives LAReQA no languages; we give it the
11 XQuAD-R languages (see ``evaluate/xtreme_score.py``).
"""

from __future__ import annotations

XTREME = "xtreme"
XTREME_R = "xtreme-r"
VERSIONS: tuple[str, ...] = (XTREME, XTREME_R)


def _langs(codes: str) -> tuple[str, ...]:
    return tuple(codes.split(","))


_PANX = (
    "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,"
    "it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,zh,kk,tr,et,fi,hu"
)
_UDPOS = (
    "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,"
    "nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh"
)
_TATOEBA = (
    "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,"
    "pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,fi,hu"
)
_XNLI = "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"
_XQUAD = "en,es,de,el,ru,tr,ar,vi,th,zh,hi"
_MLQA = "en,es,de,ar,hi,vi,zh"
_TYDIQA = "en,ar,bn,fi,id,ko,ru,sw,te"

# Task order follows evaluate.py; it is also the order of the output.
TASK_LANGUAGES: dict[str, dict[str, tuple[str, ...]]] = {
    XTREME: {
        "pawsx": _langs("de,en,es,fr,ja,ko,zh"),
        "xnli": _langs(_XNLI),
        "panx": _langs(_PANX),
        "udpos": _langs(_UDPOS),
        "bucc2018": _langs("de,fr,ru,zh"),
        "tatoeba": _langs(_TATOEBA),
        "xquad": _langs(_XQUAD),
        "mlqa": _langs(_MLQA),
        "tydiqa": _langs(_TYDIQA),
    },
    XTREME_R: {
        "xnli": _langs(_XNLI),
        "panx": _langs(_PANX + ",qu,pl,uk,az,lt,pa,gu,ro"),
        "udpos": _langs(_UDPOS + ",lt,pl,uk,wo,ro"),
        "tatoeba": _langs(_TATOEBA + ",az,lt,pl,uk,ro"),
        "xcopa": _langs("et,ht,id,it,qu,sw,ta,th,tr,vi,zh"),
        "lareqa": _langs("ar,de,el,en,es,hi,ru,th,tr,vi,zh"),
        "mewslix": _langs("ar,de,en,es,fa,ja,pl,ro,ta,tr,uk"),
        "xquad": _langs(_XQUAD + ",ro"),
        "mlqa": _langs(_MLQA),
        "tydiqa": _langs(_TYDIQA),
    },
}

TASK_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    XTREME: {
        "classification": ("pawsx", "xnli"),
        "tagging": ("udpos", "panx"),
        "qa": ("xquad", "mlqa", "tydiqa"),
        "retrieval": ("bucc2018", "tatoeba"),
    },
    XTREME_R: {
        "classification": ("xnli", "xcopa"),
        "tagging": ("udpos", "panx"),
        "qa": ("xquad", "mlqa", "tydiqa"),
        "retrieval": ("tatoeba", "mewslix"),
        "multi_choice": ("xcopa",),
    },
}

# The tasks evaluate.py scores as (F1 + EM) / 2: its "qa" group (the same in both versions).
QA_TASKS = frozenset(task for groups in TASK_GROUPS.values() for task in groups["qa"])
