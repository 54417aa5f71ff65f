from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from accounts import lockout, roles, second_factor, session_policy, signals  # noqa: F401

        # signals connects the auth audit handlers on import; these two connect explicitly.
        session_policy.connect_signals()
        lockout.connect_signals()

        # Each app declares its roles' permissions, its navigation entries and its dashboard
        # widgets in its own modules; accounts imports none of them by name.
        autodiscover_modules("roles", "navigation", "dashboard")

        # Keep the role groups equal to the granted permissions after every migrate, so a
        # permission added by a later migration reaches its roles without another data step.
        post_migrate.connect(roles.sync_after_migrate, sender=self)
