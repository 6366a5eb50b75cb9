"""The digitsum cache folder, shared by MNIST, generated composites, features and converted weights."""
import os
from pathlib import Path


def home():
    """The digitsum cache folder: $DIGITSUM_HOME, default ~/.cache/digitsum."""
    return Path(os.environ.get("DIGITSUM_HOME") or Path.home() / ".cache" / "digitsum")
