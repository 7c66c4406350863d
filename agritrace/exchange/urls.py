from django.urls import path

from . import views

#: Named exchange:index and exchange:connector.
app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("connectors/<int:pk>/", views.connector_page, name="connector"),
]
