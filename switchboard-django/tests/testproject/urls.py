"""URLs of the test site: its views, and the one line switchboard-django asks for."""

from django.urls import include, path

from testproject import views

urlpatterns = [
    path("page/", views.page),
    path("notify/", views.notify),
    path("switchboard/", include("switchboard_django.urls")),
]
