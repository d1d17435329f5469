"""Where runs, timelines, the webhook outbox and the clock live: memory or a SQLite file."""
