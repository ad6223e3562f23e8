#include "distil/training_set.h"

#include "eval/checkers.h"

#include <algorithm>
#include <cstdint>

namespace switchyard::distil {

std::string prompt_key(const json& messages) {
    std::string key;
    for (const auto& m : messages) {
        if (!m.is_object()) continue;
        std::string text;
        const auto& c = m.contains("content") ? m["content"] : json();
        if (c.is_string()) text = c.get<std::string>();
        else if (c.is_array())
            for (const auto& part : c)
                if (part.is_object() && part.contains("text") && part["text"].is_string()) text += part["text"].get<std::string>();
        key += (key.empty() ? "" : "\n") + m.value("role", "") + ":" + eval::normalize(text);
    }
    return key;
}

bool is_heldout(const std::string& key, double fraction) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across platforms and runs
    for (unsigned char c : key) { h ^= c; h *= 1099511628211ull; }
    return static_cast<double>(h % 10000) < fraction * 10000;
}

TrainingSet split(const std::vector<Example>& examples, double fraction) {
    // Corrections first, so they win over the large tier's answer to the same prompt.
    std::vector<const Example*> order;
    for (const auto& e : examples) if (e.source == "correction") order.push_back(&e);
    for (const auto& e : examples) if (e.source != "correction") order.push_back(&e);
    TrainingSet out;
    std::set<std::string> seen;
    for (const Example* e : order) {
        const std::string key = prompt_key(e->messages);
        if (!seen.insert(key).second) { ++out.duplicates; continue; }
        if (is_heldout(key, fraction)) out.heldout.push_back(*e);
        else if (!e->answer.empty()) {
            out.train.push_back(*e);
            ++out.train_sources[e->source];
        }
    }
    return out;
}

eval::Reference reference_for_label(const std::string& answer) {
    eval::Reference r;
    json doc = json::parse(answer, nullptr, false);
    if (doc.is_object() && !doc.empty()) {
        r.checker = "json_fields";
        r.answer = doc;
    } else {
        r.checker = "normalized";
        r.answer = answer;
    }
    return r;
}

json train_line(const Example& e) { return {{"messages", e.messages}, {"answer", e.answer}}; }

eval::EvalCase heldout_case(const Example& e) {
    eval::EvalCase c;
    c.id = e.id;
    c.task_class = e.task_class;
    c.messages = e.messages;
    c.request = e.request;
    c.reference = e.reference;
    return c;
}

LogHarvest harvest_log(RequestLog& log, const std::string& task_class, const std::set<std::string>& teacher_models) {
    LogHarvest out;
    LogFilter all;
    all.limit = 1 << 30;
    for (const auto& entry : log.query(all)) {
        if (!entry.task_class.empty()) out.classes.insert(entry.task_class);
        if (entry.task_class != task_class || entry.status != 200) continue;
        std::string correction;
        bool down = false;
        for (const auto& fb : log.feedback_for(entry.id)) {
            if (fb.rating != "down") continue;
            down = true;
            if (!fb.correction.empty()) correction = fb.correction;
        }
        const bool by_teacher = teacher_models.count(entry.model) > 0;
        if (!correction.empty() || (by_teacher && !down)) {
            if (entry.prompt.empty() || (correction.empty() && entry.answer.empty())) { ++out.without_content; continue; }
        } else {
            if (down) ++out.down_rated;
            continue;
        }
        Example e;
        e.id = "log-" + entry.id;
        e.task_class = task_class;
        json messages = json::parse(entry.prompt, nullptr, false);
        e.messages = messages.is_array() ? messages : json::array({{{"role", "user"}, {"content", entry.prompt}}});
        e.source = correction.empty() ? "log" : "correction";
        e.answer = correction.empty() ? entry.answer : correction;
        e.reference = reference_for_label(e.answer);
        (correction.empty() ? out.accepted : out.corrections)++;
        out.examples.push_back(std::move(e));
    }
    return out;
}

}  // namespace switchyard::distil
