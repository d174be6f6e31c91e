"""Lessons from where it is not catching: what funders, hosts and programme staff learned
where an organiser or a place went quiet (issue #18)."""
