#include "api/pipeline_host.h"

#include <thread>

namespace switchyard::api {

using json = nlohmann::json;

PipelineHost::PipelineHost(const Config& config, ModelPool& pool, router::Router* router, boost::asio::any_io_executor io)
    : config_(config), services_(pool, router, std::move(io)), cache_(config.pipelines.cache_dir), parallel_(config.pipelines.parallel) {
    // Over HTTP every input comes from the caller: file inputs only under pipelines.roots (none
    // by default), http nodes only to pipelines.http_hosts and never to internal addresses.
    access_.confine_files = true;
    access_.roots = config.pipelines.roots;
    access_.restrict_http = true;
    access_.http_hosts = config.pipelines.http_hosts;
    access_.http_allow_private = config.pipelines.http_allow_private;
    std::string problems;
    auto known = [&config](const std::string& m) { return config.find_model(m) != nullptr || config.find_route(m) != nullptr; };
    for (const auto& file : config.pipelines.files) {
        try {
            auto def = pipeline::load_pipeline_file(file);
            for (const auto& p : pipeline::check_pipeline(def, pipeline::builtin_nodes(), known)) problems += "\n  " + p;
            if (config.find_model(def.name) || config.find_route(def.name))
                problems += "\n  " + file.string() + ": pipeline name '" + def.name + "' is already a model or route name";
            else if (defs_.count(def.name))
                problems += "\n  " + file.string() + ": pipeline name '" + def.name + "' is used twice";
            else
                defs_.emplace(def.name, std::move(def));
        } catch (const pipeline::PipelineError& e) {
            for (const auto& p : e.problems) problems += "\n  " + p;
            if (e.problems.empty()) problems += "\n  " + std::string(e.what());
        } catch (const std::exception& e) {
            problems += "\n  " + file.string() + ": " + e.what();
        }
    }
    if (!problems.empty()) throw ConfigError(config.source.string() + ": pipelines.files: invalid pipeline(s):" + problems);
}

PipelineHost::~PipelineHost() {
    std::unique_lock lock(mu_);
    for (auto& c : cancels_) c->store(true);
    idle_.wait(lock, [this] { return running_ == 0; });
}

const pipeline::PipelineDefinition* PipelineHost::find(const std::string& name) const {
    auto it = defs_.find(name);
    return it == defs_.end() ? nullptr : &it->second;
}

bool PipelineHost::known_model(const std::string& m) const {
    return config_.find_model(m) != nullptr || config_.find_route(m) != nullptr;
}

void PipelineHost::start(const pipeline::PipelineDefinition& def, json inputs, std::shared_ptr<std::atomic<bool>> cancel,
                         Emit emit, std::string stream_node) {
    // Configured definitions live as long as the host: no ownership to share.
    std::shared_ptr<const pipeline::PipelineDefinition> unowned(std::shared_ptr<void>(), &def);
    start_thread(std::move(unowned), std::move(inputs), std::move(cancel), std::move(emit), std::move(stream_node), false);
}

void PipelineHost::start(std::shared_ptr<const pipeline::PipelineDefinition> def, json inputs,
                         std::shared_ptr<std::atomic<bool>> cancel, Emit emit, bool report_outputs) {
    start_thread(std::move(def), std::move(inputs), std::move(cancel), std::move(emit), "", report_outputs);
}

void PipelineHost::start_thread(std::shared_ptr<const pipeline::PipelineDefinition> def, json inputs,
                                std::shared_ptr<std::atomic<bool>> cancel, Emit emit, std::string stream_node, bool report_outputs) {
    {
        std::lock_guard lock(mu_);
        ++running_;
        cancels_.push_back(cancel);
    }
    std::thread([this, def = std::move(def), inputs = std::move(inputs), cancel, emit = std::move(emit), stream_node = std::move(stream_node),
                 report_outputs] {
        pipeline::RunOptions opt;
        opt.parallelism = parallel_;
        opt.cache = &cache_;
        opt.cancel = cancel.get();
        opt.stream_node = stream_node;
        opt.access = &access_;
        opt.report_outputs = report_outputs;
        if (config_.store.enabled()) opt.store_url = config_.store.url;
        opt.on_progress = [&emit](const pipeline::ProgressEvent& ev) { emit(pipeline::to_json(ev)); };
        opt.on_token = [&emit](const std::string& node, const std::string& piece) {
            emit(json{{"event", "token"}, {"node", node}, {"text", piece}});
        };
        json result;
        try {
            pipeline::Executor exec(pipeline::builtin_nodes(), services_);
            result = pipeline::to_json(exec.run(*def, inputs, opt));
        } catch (const std::exception& e) {
            result = {{"ok", false}, {"error", e.what()}};
        }
        result["event"] = "result";
        emit(std::move(result));
        std::lock_guard lock(mu_);
        --running_;
        std::erase(cancels_, cancel);
        idle_.notify_all();
    }).detach();
}

}  // namespace switchyard::api
