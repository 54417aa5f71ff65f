"""The deliveries disclosures owes the platform: the notice to a user whose data was released."""

from django.utils.translation import gettext_lazy as _

from outbox.kinds import register

USER_NOTICE = register("user_notice", _("Notice of a disclosure"))
