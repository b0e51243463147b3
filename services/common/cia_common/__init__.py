"""What the three CIA Workflow services share: configuration, database and unit
of work, transactional outbox and relay, Kafka consumer with inbox, auth, errors,
health and metrics."""
