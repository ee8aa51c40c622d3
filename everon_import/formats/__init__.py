"""The product's own date formats (``FORMAT_MODULE_PATH``): Django's locale formats with our overrides."""
