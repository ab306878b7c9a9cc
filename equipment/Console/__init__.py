"""The `equipment` command line and the helpers generated scripts use."""
