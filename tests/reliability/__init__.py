"""The reliability suite: nothing lost, nothing doubled, under faults, load and hostile input (issue 5)."""
