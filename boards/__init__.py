"""fenn.boards."""
