"""The web UI: server-rendered Jinja2 pages and HTMX partials (no JavaScript build step, no external
network)."""
