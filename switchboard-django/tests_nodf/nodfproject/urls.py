"""URLs of the df-less test site."""

from django.urls import include, path

from nodfproject import views

urlpatterns = [
    path("page/", views.page),
    path("plain/", views.plain),
    path("notify/", views.notify),
    path("switchboard/", include("switchboard_django.urls")),
]
