"""Pages of the product, one module per page family."""
