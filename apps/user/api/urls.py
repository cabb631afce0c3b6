from django.urls import path

from apps.user.api import views

urlpatterns = [
    path("users", views.SignUpView.as_view(), name="sign-up"),
    path("auth/token", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("me/wallet", views.WalletView.as_view(), name="wallet"),
    path("me/wallet/charges", views.ChargesView.as_view(), name="wallet-charges"),
    path("me/wallet/transactions", views.TransactionsView.as_view(), name="wallet-transactions"),
]
