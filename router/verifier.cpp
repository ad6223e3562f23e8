#include "router/verifier.h"

#include "wire/verdict_request.h"

#include <cctype>

namespace switchyard::router {

namespace {
using json = nlohmann::json;

std::string message_text(const json& content) {
    if (content.is_string()) return content.get<std::string>();
    std::string text;
    if (content.is_array())
        for (const auto& part : content)
            if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string())
                text += part["text"].get<std::string>();
    return text;
}
}  // namespace

json verifier_request(const json& request, const std::string& answer, const VerifierSpec& spec) {
    std::string transcript;
    if (request.contains("messages") && request["messages"].is_array())
        for (const auto& m : request["messages"]) {
            if (!m.is_object() || !m.contains("content")) continue;
            transcript += m.value("role", "user") + ": " + message_text(m["content"]) + "\n";
        }
    std::string prompt = "Request:\n" + transcript + "\nProposed answer:\n" + answer + "\n\n" +
                         (spec.question.empty() ? kDefaultVerifierQuestion : spec.question);
    wire::VerdictQuestion q;
    q.model = spec.model;
    q.prompt = std::move(prompt);
    return wire::verdict_request(q);
}

std::optional<bool> parse_verdict(const std::string& content) {
    auto parsed = json::parse(content, nullptr, false);
    if (parsed.is_object() && parsed.contains("verdict") && parsed["verdict"].is_string()) {
        if (parsed["verdict"] == "yes") return true;
        if (parsed["verdict"] == "no") return false;
        return std::nullopt;
    }
    // An upstream that ignores response_format may just say it.
    std::string t;
    for (char c : content) if (std::isalpha(static_cast<unsigned char>(c))) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c))); else if (!t.empty()) break;
    if (t == "yes") return true;
    if (t == "no") return false;
    return std::nullopt;
}

}  // namespace switchyard::router
