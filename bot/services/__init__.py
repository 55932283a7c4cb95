"""Domain rules. Services take a session, check role, scope and state, and own the commit."""
