"""``python -m xstilts.cli``: the same as the ``xstilts`` command."""

import sys

from xstilts.cli import main

sys.exit(main())
