from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "masuk/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("verifikasi/", views.otp_verify, name="otp_verify"),
    path("dua-langkah/", views.otp_enrol, name="otp_enrol"),
    path("dua-langkah/kode-cadangan/", views.backup_codes, name="backup_codes"),
    path("keluar/", views.LogoutView.as_view(), name="logout"),
    path("profil/", views.profile, name="profile"),
    path("ganti-sandi/", views.PasswordChangeView.as_view(), name="password_change"),
]
