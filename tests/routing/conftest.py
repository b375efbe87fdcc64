"""Make the shared problem factory importable by the routing tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
