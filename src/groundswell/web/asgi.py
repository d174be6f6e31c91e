"""The ASGI entry point for uvicorn (and any other ASGI server)."""

from groundswell.web.app import create_app

app = create_app()
