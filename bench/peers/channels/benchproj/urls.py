from django.urls import path

from benchproj import views

urlpatterns = [
    path("trigger", views.trigger),
    path("stats", views.stats),
]
