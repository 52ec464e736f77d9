"""The views layer (see the README's architecture map)."""
