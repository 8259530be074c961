"""The harness: the product's front door (CLI, pytest plugin, scenarios, backends, reports)."""
