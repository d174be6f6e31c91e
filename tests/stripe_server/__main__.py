"""``python -m tests.stripe_server --port P [--store PATH] [--verbose]``."""

from .server import main

main()
