from django.apps import AppConfig


class StationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stations"
    verbose_name = "Stations"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
