"""``python -m tests.twilio_server --port P [--account SID:TOKEN] [--verbose]``."""

from .server import main

main()
