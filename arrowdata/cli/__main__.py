"""``python -m arrowdata.cli``."""
import sys

from . import main

sys.exit(main())
