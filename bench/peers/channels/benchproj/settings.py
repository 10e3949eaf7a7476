"""Minimal Django settings for the Channels benchmark peer (no database)."""

import os

SECRET_KEY = "switchboard-bench-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "channels",
]

MIDDLEWARE = []

ROOT_URLCONF = "benchproj.urls"
ASGI_APPLICATION = "benchproj.asgi.application"

DATABASES = {}

USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # 4xx responses ("Not Found: ...") are logged at WARNING; keep them quiet.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Channel layer: LAYER=memory (default) or LAYER=redis (REDIS_URL).
# capacity/expiry stay at the library defaults unless CHANNELS_CAPACITY is
# set. Defaults (channels 4.3 / channels_redis 4.3): capacity=100 messages per
# channel, expiry=60 s; channels_redis also group_expiry=86400 s.
LAYER = os.environ.get("LAYER", "memory")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

_layer_config = {}
if os.environ.get("CHANNELS_CAPACITY"):
    _layer_config["capacity"] = int(os.environ["CHANNELS_CAPACITY"])

if LAYER == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], **_layer_config},
        }
    }
elif LAYER == "memory":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            **({"CONFIG": _layer_config} if _layer_config else {}),
        }
    }
else:
    raise RuntimeError(f"LAYER must be 'memory' or 'redis', got {LAYER!r}")
