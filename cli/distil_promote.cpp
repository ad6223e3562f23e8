// `switchyard distil promote` (and `distil --promote`): the gate, then the promotion. The gate
// compares the specialised model with the large tier on the class's held-out split (the
// manifest's outcome table, or any table given with --outcomes); below the configured fraction
// it reports the gap and changes nothing (exit 3). Above it, the specialist is added to the
// route: through a running server's admin endpoint (--url: hot-loaded, no restart) or into the
// config's `specialists:` overlay file (read at the next start).
#include "cli/commands.h"

#include "config/config.h"
#include "config/specialists.h"
#include "distil/gate.h"
#include "eval/offline.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace switchyard::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

// POST /v1/admin/specialists; returns the response body, throws with the server's error message.
std::string post_specialist(const std::string& url, const std::string& key_env, const json& body) {
    std::string endpoint = url;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    endpoint += "/v1/admin/specialists";
    CURL* c = curl_easy_init();
    if (!c) throw std::runtime_error("cannot start an HTTP client");
    std::string text = body.dump(), answer;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    if (!key_env.empty()) {
        const char* key = std::getenv(key_env.c_str());
        if (!key || !*key) { curl_slist_free_all(headers); curl_easy_cleanup(c); throw std::runtime_error("environment variable " + key_env + " is not set"); }
        headers = curl_slist_append(headers, ("Authorization: Bearer " + std::string(key)).c_str());
    }
    curl_easy_setopt(c, CURLOPT_URL, endpoint.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) throw std::runtime_error("cannot reach " + endpoint + ": " + curl_easy_strerror(rc));
    if (status != 200) {
        json err = json::parse(answer, nullptr, false);
        std::string msg = err.is_object() && err.contains("error") ? err["error"].value("message", answer) : answer;
        throw std::runtime_error("the server refused the specialist (HTTP " + std::to_string(status) + "): " + msg);
    }
    return answer;
}

}  // namespace

int cmd_distil_promote(const CommonOptions& common, const DistilPromoteOptions& o) {
    try {
        if (o.route.empty()) throw std::invalid_argument("give the route that gets the specialist (--route)");
        std::ifstream in(o.manifest);
        if (!in) throw std::invalid_argument("cannot read the manifest " + o.manifest);
        json manifest = json::parse(in, nullptr, false);
        if (!manifest.is_object() || manifest.value("object", "") != "switchyard.distil.manifest")
            throw std::invalid_argument(o.manifest + " is not a distil manifest");
        const fs::path dir = fs::absolute(o.manifest).parent_path();
        fs::path outcomes = o.outcomes;
        if (outcomes.empty()) {
            if (!manifest.contains("eval") || !manifest["eval"].contains("outcomes"))
                throw std::invalid_argument("the manifest has no held-out evaluation: rerun distil without --no-eval, or give --outcomes");
            outcomes = dir / manifest["eval"]["outcomes"].get<std::string>();
        }
        const auto table = eval::read_outcomes(outcomes);
        const distil::GateResult g = distil::gate(table, o.candidate, o.reference, o.min_fraction, o.min_heldout);
        std::printf("gate (%s vs %s on %d held-out cases of class %s): %s\n", o.candidate.c_str(), o.reference.c_str(), g.n,
                    manifest.value("class", "?").c_str(), g.why.c_str());
        std::printf("  %s %.3f [%.3f, %.3f]   %s %.3f [%.3f, %.3f]   difference 95%% CI [%.3f, %.3f]\n", o.candidate.c_str(), g.candidate,
                    g.candidate_ci.lo, g.candidate_ci.hi, o.reference.c_str(), g.reference, g.reference_ci.lo, g.reference_ci.hi,
                    g.diff_ci.lo, g.diff_ci.hi);
        if (!g.pass) {
            std::printf("not promoted: route %s keeps sending class %s where it did\n", o.route.c_str(), manifest.value("class", "?").c_str());
            return 3;
        }
        Specialist s;
        s.route = o.route;
        s.task_class = manifest.value("class", "");
        s.model = manifest["model"].value("name", "");
        s.file = dir / manifest["model"].value("file", "");
        s.manifest = fs::absolute(o.manifest).string();
        if (s.task_class.empty() || s.model.empty()) throw std::invalid_argument(o.manifest + " names no class or model");
        if (!o.url.empty()) {
            json answer = json::parse(post_specialist(o.url, o.api_key_env, {{"route", s.route}, {"class", s.task_class}, {"model", s.model},
                                                                             {"file", s.file.string()}, {"manifest", s.manifest}}));
            std::string tiers;
            for (const auto& t : answer["tiers"]) tiers += (tiers.empty() ? "" : " -> ") + t.value("name", "") + " (" + t.value("model", "") + ")";
            std::printf("promoted and hot-loaded: route %s sends class %s to tier %s; tiers: %s\n", s.route.c_str(), s.task_class.c_str(),
                        answer.value("tier", "").c_str(), tiers.c_str());
            return 0;
        }
        Config cfg = load_config(common.config);
        if (cfg.specialists_path.empty())
            throw std::invalid_argument(common.config + " has no `specialists:` file to record the promotion in (or give --url of a running server)");
        apply_specialist(cfg, s);   // validates: the route exists, the file is inside the allowed folders, names do not clash
        auto list = read_specialists(cfg.specialists_path);
        std::erase_if(list, [&](const Specialist& x) { return x.route == s.route && x.task_class == s.task_class; });
        list.push_back(s);
        write_specialists(cfg.specialists_path, list);
        std::printf("promoted: route %s sends class %s to tier distil-%s (model %s), recorded in %s; a running server picks it up "
                    "at its next start (or use --url to hot-load)\n",
                    s.route.c_str(), s.task_class.c_str(), s.task_class.c_str(), s.model.c_str(), cfg.specialists_path.filename().c_str());
        return 0;
    } catch (const ConfigError& e) {
        std::cerr << "switchyard: distil promote: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "switchyard: distil promote: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace switchyard::cli
