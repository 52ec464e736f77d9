"""The workflow layer (see the README's architecture map)."""
