"""A minimal Django site using ``cometchat_sync.integrations.django``: views that send over
REST with ``get_client()``, and an echo bot run by ``manage.py cometchat_listen``."""
