// Where a request starts on a route: the first matching rule's tier, else the cheapest tier.
// Pure and allocation-light, so a decision costs microseconds (bench/ measures it).
#pragma once

#include "config/routing_config.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace re2 { class RE2; }
using re2::RE2;

namespace switchyard::router {

using json = nlohmann::json;

// What the rules look at, extracted once per request.
struct RequestFeatures {
    std::string prompt;      // user and system text, concatenated
    bool has_tools = false;
    bool has_images = false;
    std::string task;        // metadata.task, or the X-Switchyard-Task header
    bool local_only = false; // metadata.local_only / X-Switchyard-Local-Only / the API key
    double max_cost = -1;    // metadata.max_cost in USD; -1 = none, -2 = unparsable
    std::string latency;     // metadata.latency: "low" answers from one tier, without a cascade
};

// "0.01" -> 0.01; -2 when the text is not a non-negative number.
double parse_usd(const std::string& text);

RequestFeatures extract_features(const json& request, const std::string& task_header);

struct Decision {
    std::size_t tier = 0;    // index into route.tiers
    bool by_rule = false;    // a rule chose the tier (rules take priority over the classifier)
    std::string task_class;  // metadata task, else the classifier's confident class, else "default"
    json trace = json::array();
};

// A route's `constrain:` entry compiled once: its regex, and the response_format it puts on the
// constrained tier's request (built here, not per request).
struct RouteConstraint {
    ConstraintSpec spec;
    std::shared_ptr<RE2> regex;   // null: the entry has no regex
    json response_format;         // {"type": "json_schema", "json_schema": {"name": "constrain", "schema": ...}}
};

// Compiled rules of one route (regexes are compiled once, at start-up).
class RoutePolicy {
public:
    explicit RoutePolicy(const RouteSpec& route);
    Decision decide(const RequestFeatures& f) const;
    const RouteSpec& route() const { return route_; }
    std::size_t tier_index(const std::string& name) const;
    // The first `constrain:` entry that applies to this request on this tier, or null.
    const RouteConstraint* constraint_for(const std::string& tier, const RequestFeatures& f, const std::string& task_class) const;

private:
    struct CompiledRule;
    RouteSpec route_;
    std::vector<std::shared_ptr<CompiledRule>> rules_;
    std::vector<RouteConstraint> constraints_;   // route_.constrain, compiled, in order
};

}  // namespace switchyard::router
