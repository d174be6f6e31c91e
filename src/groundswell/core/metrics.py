"""Prometheus metrics every floor may count into; /metrics (web/) exposes them.

Counters and histograms are counted where things happen; the gauges (outbox depth, transfers
by status, open reconciliation differences) are read from the database when /metrics is
scraped, so every process reports the same truth. With several worker processes set
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode) so a scrape sees all of them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "groundswell_http_requests_total",
    "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "groundswell_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SMS_RECEIVED = Counter(
    "groundswell_sms_received_total", "Inbound SMS accepted from Twilio (replays excluded)"
)
SMS_PROCESSED = Counter(
    "groundswell_sms_processed_total", "Inbound SMS processed and answered, by outcome", ["result"]
)
JOB_RUNS = Counter(
    "groundswell_job_runs_total",
    "Scheduled job runs, by job and result (ok, failed)",
    ["job", "result"],
)
ROUNDS_COMPUTED = Counter("groundswell_rounds_computed_total", "Allocation rounds computed")
OUTBOX_MESSAGES = Gauge(
    "groundswell_outbox_messages",
    "Outbox messages by channel and status",
    ["channel", "status"],
    multiprocess_mode="livemostrecent",
)
OUTBOX_OLDEST_AGE = Gauge(
    "groundswell_outbox_oldest_age_seconds",
    "Age of the oldest outbox message by channel and status (waiting ones: since due)",
    ["channel", "status"],
    multiprocess_mode="livemostrecent",
)
TRANSFERS = Gauge(
    "groundswell_transfers",
    "Allocations by payment status (held, in_transit, paid, failed, reversed ...)",
    ["status"],
    multiprocess_mode="livemostrecent",
)
RECONCILIATION_DIFFERENCES = Gauge(
    "groundswell_reconciliation_differences",
    "Open differences between the payment provider and the ledger",
    multiprocess_mode="livemostrecent",
)
