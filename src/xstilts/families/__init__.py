"""Task families: the code a family of tasks shares (features, head, loss, prediction, scoring).

A *task* is data (``tasks/``); a *family* is code. Each family module exposes one
:class:`~xstilts.families.base.Family` (trainable families) or
:class:`~xstilts.families.base.RetrievalFamily` (scored straight from an encoder), and
``registry.FAMILY_OPS`` maps family names to them. The family sits above ``data``/``models``/
``evaluate`` and below ``experiments`` in the data flow, because it joins all three for one family
(this is the one change to ``design.md``'s layout: a family's pieces are read together).
"""
