#!/usr/bin/env python
"""Regenerate docs/cli.md and docs/configuration.md from the code (see `pantau.docs`).

    python scripts/gen_docs.py            # write the pages that changed
    python scripts/gen_docs.py --check    # exit 1 if a page is out of date
"""

import sys

from pantau.docs import main

if __name__ == "__main__":
    sys.exit(main())
