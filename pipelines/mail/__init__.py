"""Step 1, fetch: mailboxes (IMAP or a local Maildir) and the exactly-once ingest into the database."""
