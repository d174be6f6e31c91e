"""Groundswell: listening grants without strings."""

import os

# Piccolo finds its engine and apps through this module; set before any table is imported.
os.environ.setdefault("PICCOLO_CONF", "groundswell.piccolo_conf")

__version__ = "0.1.0"
