"""`python -m pantau.docs`: regenerate docs/cli.md and docs/configuration.md."""

import sys

from . import main

sys.exit(main())
