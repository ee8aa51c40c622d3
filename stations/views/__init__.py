"""Pages of the product, one module per page family."""

# Why an import page refuses an account without a tenant (support staff): the wizard and the upload.
NO_TENANT_MESSAGE = "Your account is not linked to an operator: there is no tenant to import stations into."
