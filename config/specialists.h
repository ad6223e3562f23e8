// Promoted specialists: small models fine-tuned for one task class (`switchyard distil`) that a
// route uses for that class. They live in an overlay file named by the config's `specialists:`
// key, written by `distil promote` and by the server's admin endpoint, and applied on top of
// the config at load time, so a promotion survives restarts without rewriting the user's YAML.
//
// Applying one to a route: its model is added to `models`, a tier for it goes directly below
// the tier that served the class until now (so a feedback tier bump on it lands exactly there:
// that is the rollback), and the class is sent to the new tier by a `task:` rule (placed after
// rules about tools and images, before the others) and, when the route has a classifier, by
// its class map.
#pragma once

#include "config/config.h"

#include <filesystem>
#include <string>
#include <vector>

namespace switchyard {

struct Specialist {
    std::string route;                 // the route that gets the tier
    std::string task_class;            // metadata.task / classifier class it serves
    std::string model;                 // model name clients and tiers use
    std::filesystem::path file;        // GGUF; relative paths resolve against models_dir
    std::string tier;                  // tier name ("" = "distil-<class>")
    std::string manifest;              // the distil manifest it came from (informational)
};

// Reads the overlay (a missing file is an empty list); throws ConfigError naming file and entry.
std::vector<Specialist> read_specialists(const std::filesystem::path& file);
// Writes the whole list (atomically: a temporary file, then a rename).
void write_specialists(const std::filesystem::path& file, const std::vector<Specialist>& list);

// The model entry a specialist is served with: greedy decoding, a small context.
ModelSpec specialist_model(const Specialist& s, const Config& config);
// The route with the specialist's tier and rule; throws ConfigError when the route lacks
// something the change needs or the names clash.
RouteSpec route_with_specialist(const RouteSpec& route, const Specialist& s);
// Whether a specialist's file may be served: inside models_dir or the specialists file's folder.
bool inside_roots(const Config& config, const std::filesystem::path& file);
// Both of the above, into `config` (the model file must pass inside_roots).
void apply_specialist(Config& config, const Specialist& s);
// The tier a class starts at on a route before any specialist: its task rule's, else the
// classifier's mapping, else the route's last tier. Used to place the new tier below it.
std::size_t class_tier(const RouteSpec& route, const std::string& task_class);

}  // namespace switchyard
