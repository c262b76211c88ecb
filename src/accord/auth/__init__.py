"""People, roles, permissions, sessions, API tokens and the audit log."""
