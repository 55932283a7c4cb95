"""Client Service bot: settings, the app factory, domain services, texts and the outbox."""
