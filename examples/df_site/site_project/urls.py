"""URLs of the example site."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from chat import views

urlpatterns = [
    path("", views.index, name="index"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("notify/user/", views.notify_user, name="notify-user"),
    path("notify/everyone/", views.notify_everyone, name="notify-everyone"),
    path("notify/news/", views.notify_news, name="notify-news"),
    path("rooms/<int:pk>/post/", views.post_to_room, name="post-to-room"),
    path("ping/", views.ping_window, name="ping-window"),
    # The one line switchboard-django adds (harmless on df_websockets' own stack).
    path("switchboard/", include("switchboard_django.urls")),
]
