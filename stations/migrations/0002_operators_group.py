"""Create the Operators group holding the add, change, view and delete permissions of the station models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STATION_MODELS = ("station", "connectorspec")
ACTIONS = ("add", "change", "view", "delete")


def create_operators_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this group needs them now.
    app_config = apps.get_app_config("stations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Operators")
    codenames = [f"{action}_{model}" for model in STATION_MODELS for action in ACTIONS]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="stations", codename__in=codenames)
    )


def remove_operators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Operators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_operators_group, remove_operators_group)]
