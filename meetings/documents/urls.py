"""Pages and page images of meeting documents (the REST API is in api.py, under /api/v1/)."""

from django.urls import path

from meetings.documents import views

urlpatterns = [
    path("documents/<int:document_id>/", views.viewer, name="document-viewer"),
    path("documents/<int:document_id>/v<int:number>/pages/<int:page>.jpg", views.page_image, name="document-page"),
    path("documents/search/", views.search_page, name="document-search"),
]
