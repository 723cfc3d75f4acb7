from django.urls import path

from apps.overview import views

app_name = "overview"

urlpatterns = [
    path("", views.home, name="home"),
    path("objek/", views.facility_list, name="facilities"),
    path("objek/saya/", views.my_facilities, name="my_facilities"),
    path("objek/<int:pk>/", views.facility_detail, name="facility"),
    path("operasi/", views.operation_list, name="operations"),
    path("operasi/<int:pk>/", views.operation_detail, name="operation"),
]
