"""AINAScan's GitHub App: webhooks, queue, GitHub API, publishing. It imports the analyzer, never the reverse."""
