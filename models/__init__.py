"""fenn.models."""
