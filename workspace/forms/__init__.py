"""The workspace's forms, one module per area. They validate input; the services decide."""
