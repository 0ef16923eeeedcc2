"""govpulse exporters: Prometheus exposition, InfluxDB writers, spool, embedded store, notification relay."""
