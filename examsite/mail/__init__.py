"""Outgoing e-mail: messages are written to an outbox table in the caller's transaction and a
retrying sender delivers them (after the commit, and from `flask mail send-outbox` in cron), so a
mail server that is down loses nothing. Used by password resets; reusable by any area."""
