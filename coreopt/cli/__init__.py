"""The `coreopt` command line."""
