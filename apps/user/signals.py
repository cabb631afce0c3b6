from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.user.models import WalletRecord


@receiver(post_save, sender=get_user_model())
def open_wallet(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Every account has a wallet from its first moment, however it was created."""
    if created and not kwargs.get("raw"):
        WalletRecord.objects.get_or_create(user_id=instance.pk)
