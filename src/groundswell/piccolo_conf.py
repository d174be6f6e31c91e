"""Piccolo's configuration, derived from Groundswell's settings (never edited by hand)."""

from piccolo.conf.apps import AppRegistry

from groundswell.db import build_engine
from groundswell.settings import load_settings

DB = build_engine(load_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["groundswell.piccolo_app"])
