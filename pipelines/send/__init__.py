"""Step 7, send: a transactional outbox drained over SMTP, or to .eml files when no server is set."""
