"""The adapters layer (see the README's architecture map)."""
