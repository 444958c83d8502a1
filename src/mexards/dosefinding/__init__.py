"""dosefinding package."""
