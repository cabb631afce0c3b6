from django.db import models
from django.utils import timezone


class TicketMailRecord(models.Model):
    """One row per payment whose ticket was mailed. The row is inserted in the transaction
    that sends the mail: the unique payment id makes a second delivery of the same
    payment.succeeded event find it and send nothing."""

    # The payment module's payment, by id: modules do not share models.
    payment_id = models.BigIntegerField(unique=True)
    reservation_id = models.BigIntegerField()
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "ticket_mail"
        verbose_name = "ticket mail"

    def __str__(self) -> str:
        return f"ticket of payment {self.payment_id} to {self.recipient}"
