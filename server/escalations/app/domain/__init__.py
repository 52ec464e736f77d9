"""The domain layer (see the README's architecture map)."""
