"""fenn.firmware."""
