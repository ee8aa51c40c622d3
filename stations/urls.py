from django.urls import path

from .views import activation, imports, labels, upload, wizard

app_name = "stations"

urlpatterns = [
    path("import/", wizard.StationImportWizardView.as_view(), name="import"),
    path("import/preview/", wizard.connector_preview, name="import_preview"),
    path("import/security-code/", wizard.generate_code, name="generate_code"),
    path("upload/", upload.StationUploadView.as_view(), name="upload"),
    path("upload/example-<slug:kind>.csv", upload.example_csv, name="example_csv"),
    path("upload/template.xlsx", upload.template_xlsx, name="template_xlsx"),
    path("upload/<int:pk>/errors.csv", upload.upload_errors, name="upload_errors"),
    path("activate/", activation.StationActivateView.as_view(), name="activate"),
    path("activate/<int:pk>/", activation.StationActivatedView.as_view(), name="activated"),
    path("imports/<int:pk>/labels.pdf", labels.import_labels, name="import_labels"),
    path("imports/", imports.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/import/", upload.ImportCheckedView.as_view(), name="import_checked"),
    path("imports/<int:pk>/plan.csv", imports.import_plan_csv, name="import_plan"),
]
