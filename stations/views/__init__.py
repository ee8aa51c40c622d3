"""Pages of the product, one module per page family; what the import pages share."""

from django.core.exceptions import PermissionDenied

from ..selectors import tenant_of

# Why an import page refuses an account without a tenant (support staff): the wizard and the upload.
NO_TENANT_MESSAGE = "Your account is not linked to an operator: there is no tenant to import stations into."


class TenantRequiredMixin:
    """Refuses a signed-in user without a tenant: support staff hold every permission but have no tenant to
    import into. Listed before the login and permission mixins, so they see why rather than a plain 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and tenant_of(request.user) is None:
            raise PermissionDenied(NO_TENANT_MESSAGE)
        return super().dispatch(request, *args, **kwargs)
