"""Realistic demo data: `groundswell demo` (small) and `--scale large` (bulk voices)."""
