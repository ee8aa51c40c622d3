from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the Bearer scheme with drf-spectacular (an extension is found by being imported).
        from . import authentication  # noqa: F401
