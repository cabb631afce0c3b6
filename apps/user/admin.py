"""Wallets and the ledger are read-only here: points move only through the use cases, so
that balance == sum(ledger) always holds."""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.ops.read_only_admin import ReadOnlyAdminMixin
from apps.user.admin_login import LockoutAdminAuthenticationForm
from apps.user.models import LedgerEntryRecord, WalletRecord

admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(WalletRecord)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[WalletRecord]):
    list_display = ("user", "balance", "updated_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "balance", "updated_at", "recent_ledger")
    list_select_related = ("user",)
    ordering = ("-balance",)

    @admin.display(description="latest ledger entries")
    def recent_ledger(self, wallet: WalletRecord) -> str:
        entries = LedgerEntryRecord.objects.filter(user_id=wallet.user_id).order_by("-id")[:20]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.created_at, e.kind, e.amount, e.balance_after, e.reference) for e in entries),
        )
        link = (
            reverse("admin:user_ledgerentryrecord_changelist")
            + f"?user__id__exact={wallet.user_id}"
        )
        return format_html(
            "<table><tr><th>when</th><th>kind</th><th>amount</th><th>balance after</th>"
            '<th>reference</th></tr>{}</table><a href="{}">all entries</a>',
            rows,
            link,
        )


@admin.register(LedgerEntryRecord)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[LedgerEntryRecord]):
    list_display = ("id", "user", "kind", "amount", "balance_after", "reference", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("user__username", "reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-id",)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The wallet page links here filtered to one fan.
        return lookup == "user__id__exact" or super().lookup_allowed(lookup, value, request)
