"""The presentation layer (see the README's architecture map)."""
