"""fenn.compiler."""
