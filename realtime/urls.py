"""Pages of the live room (delegate's room, chair's console). Filled in by the live-room work."""

urlpatterns: list = []
