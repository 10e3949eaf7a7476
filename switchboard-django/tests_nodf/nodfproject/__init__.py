"""A Django site using switchboard_django without df_websockets."""
