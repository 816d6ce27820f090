"""spoor: the product-event analytics warehouse (entry points and settings)."""
