"""IOC enrichment: one safe HTTP path, providers, a shared SQLite cache/quota/history, a queue."""
