// The subcommands of the `switchyard` binary. Each returns a process exit code.
#pragma once

#include <string>

namespace switchyard::cli {

struct CommonOptions {
    std::string config = "switchyard.yaml";
};

int cmd_serve(const CommonOptions& common, const std::string& host, int port);
int cmd_run(const CommonOptions& common, const std::string& model, const std::string& prompt,
            const std::string& system, int max_tokens, double temperature, bool raw);
int cmd_models(const CommonOptions& common, const std::string& url);

}  // namespace switchyard::cli
