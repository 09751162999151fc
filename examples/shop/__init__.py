"""A made-up shop service with hollow code in it, for `make demo`."""
