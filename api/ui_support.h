// Helpers shared by the web UI's routes (api/ui_*.cpp): query parameters, the UI's auth rule and
// JSON answers built outside coroutines (GCC 12 miscompiles braced json literals inside them).
#pragma once

#include "api/server_context.h"

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::api::ui {

using json = nlohmann::json;

// One query parameter, percent-decoded; nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// The UI's data endpoints take the same keys as the API (the page asks for one and sends it as
// a Bearer header). Endpoints that change server state (saving a pipeline file, running edited
// YAML) go through require_admin: same-origin requests only (Origin / Sec-Fetch-Site), then the
// same key rule until the server has an admin role.
std::optional<ApiError> require_admin(const ServerContext& ctx, const Request& req);

// The folder the config file is in: pipeline files and eval reports are shown relative to it,
// never as absolute paths.
std::filesystem::path config_dir(const ServerContext& ctx);
std::string display_path(const ServerContext& ctx, const std::filesystem::path& file);

void register_ui_static(HttpServer& http, ServerContext& ctx);
void register_ui_dashboard(HttpServer& http, ServerContext& ctx);
void register_ui_pipelines(HttpServer& http, ServerContext& ctx);

}  // namespace switchyard::api::ui
