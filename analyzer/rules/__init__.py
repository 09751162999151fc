"""The rule catalog: one module per rule, each opening with its own documentation."""
