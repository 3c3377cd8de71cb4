"""Web services over agentarch: the dashboard (``serve/dashboard``) reads the store in a browser."""
