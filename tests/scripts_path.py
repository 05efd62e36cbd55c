import sys
from pathlib import Path

services = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(services))
