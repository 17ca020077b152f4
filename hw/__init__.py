"""fenn.hw."""
