"""Create (idempotently) a demo tenant with an operator login and a support login, and print them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from stations.models import Membership, Tenant

DEMO_TENANT = ("Demo Charging", "demo")
OPERATOR = ("operator", "operator-demo")
SUPPORT = ("support", "support-demo")


class Command(BaseCommand):
    help = "Create a demo tenant, an operator login and a support login for a local run (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        tenant, _ = Tenant.objects.get_or_create(slug=DEMO_TENANT[1], defaults={"name": DEMO_TENANT[0]})

        operator, created = User.objects.get_or_create(username=OPERATOR[0], defaults={"is_staff": True})
        if created:
            operator.set_password(OPERATOR[1])
            operator.save()
        operator.groups.add(Group.objects.get(name="Operators"))
        Membership.objects.get_or_create(user=operator, defaults={"tenant": tenant})

        support, created = User.objects.get_or_create(
            username=SUPPORT[0], defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            support.set_password(SUPPORT[1])
            support.save()

        self.stdout.write(
            f"Demo tenant: {tenant.name} (slug {tenant.slug})\n"
            f"Operator login: {OPERATOR[0]} / {OPERATOR[1]}\n"
            f"Support login:  {SUPPORT[0]} / {SUPPORT[1]}  (superuser: sees every tenant)\n"
            "If you changed a password since, it was left as it is."
        )
