// Routes of the catalogue and organisation: departments, windows, items, deadline computation.
#include "gateway_routes.h"

namespace sunlight::gateway {

namespace pb = ::google::protobuf;

void Gateway::AddCatalogueRoutes() {
  // ---- staff, inspectors, administrators: catalogue and organisation
  AddRoute("GET", "/v1/departments", kSignedIn, "Departments.", IntakeMethod("ListDepartments"));
  AddRoute("POST", "/v1/departments", auth::kAdministrators, "Create or change a department.",
           IntakeMethod("UpsertDepartment"));
  AddRoute("GET", "/v1/windows", kSignedIn, "Service windows.", IntakeMethod("ListWindows"));
  AddRoute("POST", "/v1/windows", auth::kAdministrators, "Create or change a window.",
           IntakeMethod("UpsertWindow"));
  AddRoute("GET", "/v1/items", kSignedIn, "Items (latest versions).", IntakeMethod("ListItems"));
  AddRoute("GET", "/v1/items/{item_code}", kSignedIn, "One item version.", IntakeMethod("GetItem"));
  AddRoute("POST", "/v1/items", auth::kAdministrators, "Publish a new item version.",
           IntakeMethod("PublishItemVersion"));
  AddRoute("POST", "/v1/deadlines:compute", kSignedIn, "Compute and explain a deadline.",
           IntakeMethod("ComputeDeadline"));
}

}  // namespace sunlight::gateway
