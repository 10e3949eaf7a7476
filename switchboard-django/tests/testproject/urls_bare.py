"""A URLconf without switchboard_django.urls (for the W002 check)."""

from django.urls import path

from testproject import views

urlpatterns = [path("page/", views.page)]
