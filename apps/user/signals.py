import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.user.models import WalletRecord
from apps.user.wiring import token_revocations


@receiver(post_save, sender=get_user_model())
def open_wallet(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Every account has a wallet from its first moment, however it was created."""
    if created and not kwargs.get("raw"):
        WalletRecord.objects.get_or_create(user_id=instance.pk)


@receiver(pre_save, sender=get_user_model())
def sign_out_on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A new password or a deactivated account ends every session: the refresh tokens are
    blacklisted (in the database) and the access tokens issued so far refused."""
    if kwargs.get("raw") or not instance.pk:
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        _sign_out_everywhere(instance.pk)


@receiver(pre_delete, sender=get_user_model())
def sign_out_on_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    _sign_out_everywhere(instance.pk)


def _sign_out_everywhere(user_id: int) -> None:
    for token in OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True):
        BlacklistedToken.objects.get_or_create(token=token)
    # After the commit: a rolled-back change signs nobody out. Tokens carry `iat` in whole
    # seconds, so one issued in the same second just after the change is refused too.
    at = time.time()
    transaction.on_commit(lambda: token_revocations().revoke(user_id, at_s=at))
