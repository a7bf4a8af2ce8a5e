"""Email through the transactional outbox: writing messages, claiming and marking them, sending."""
