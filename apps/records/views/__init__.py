"""Record pages. Reads go through apps.records.selectors, writes through the services; a
forbidden object looks like a missing one (404)."""
