// PII redaction before a request leaves the machine: e-mail addresses, phone numbers, payment
// card numbers (Luhn-checked), IBANs and API keys / secrets become placeholders such as
// [EMAIL_1]; the answer coming back has the placeholders restored.
#pragma once

#include <map>
#include <string>

namespace switchyard::router {

class PiiRedactor {
public:
    // Replaces PII in text; the same value always gets the same placeholder within one request.
    std::string redact(const std::string& text);
    // Puts the original values back.
    std::string restore(const std::string& text) const;
    std::size_t count() const { return originals_.size(); }
private:
    std::map<std::string, std::string> placeholders_;  // original -> placeholder
    std::map<std::string, std::string> originals_;     // placeholder -> original
    std::map<std::string, int> counters_;
};

}  // namespace switchyard::router
