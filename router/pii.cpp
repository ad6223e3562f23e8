#include "router/pii.h"

#include <re2/re2.h>

#include <cctype>
#include <memory>
#include <vector>

namespace switchyard::router {
namespace {

bool luhn_ok(const std::string& s) {
    int sum = 0, n = 0;
    bool twice = false;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
        if (!std::isdigit(static_cast<unsigned char>(*it))) continue;
        int d = *it - '0';
        if (twice) { d *= 2; if (d > 9) d -= 9; }
        sum += d;
        twice = !twice;
        ++n;
    }
    return n >= 13 && n <= 19 && sum % 10 == 0;
}

struct Pattern {
    const char* kind;
    std::unique_ptr<RE2> re;
    bool (*valid)(const std::string&);
};

// RE2, not std::regex: matching is linear in the text and uses no recursion. libstdc++'s
// std::regex recurses once per matched character, so 100 KB of letters in a message
// overflowed the stack and killed the server (found by fuzz/fuzz_pii).
const std::vector<Pattern>& patterns() {
    // Order matters: secrets and cards before phone numbers, which would match their digits.
    static const std::vector<Pattern> p = [] {
        std::vector<Pattern> v;
        auto add = [&](const char* kind, const char* re, bool (*valid)(const std::string&)) {
            v.push_back({kind, std::make_unique<RE2>(re), valid});
        };
        add("SECRET", R"(\b(sk-[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35})\b)", nullptr);
        add("EMAIL", R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})", nullptr);
        add("IBAN", R"(\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b)", nullptr);
        add("CARD", R"(\b(?:\d[ \-]?){12,18}\d\b)", luhn_ok);
        add("PHONE", R"((?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,4}\)[ .\-]?)?\d{2,4}[ .\-]\d{2,4}[ .\-]?\d{2,6})", nullptr);
        return v;
    }();
    return p;
}

}  // namespace

std::string PiiRedactor::redact(const std::string& text) {
    static const RE2 iso_date(R"(\d{4}-\d{2}-\d{2})");
    std::string out = text;
    for (const auto& pat : patterns()) {
        std::string next;
        const re2::StringPiece input(out);
        std::size_t last = 0, pos = 0;
        re2::StringPiece m;
        while (pos <= out.size() && pat.re->Match(input, pos, out.size(), RE2::UNANCHORED, &m, 1)) {
            const std::size_t start = static_cast<std::size_t>(m.data() - out.data());
            pos = start + std::max<std::size_t>(m.size(), 1);
            std::string value(m.data(), m.size());
            if (value.empty() || (pat.valid && !pat.valid(value))) continue;
            if (std::string(pat.kind) == "PHONE") {
                int digits = 0;
                for (char ch : value) digits += std::isdigit(static_cast<unsigned char>(ch)) ? 1 : 0;
                // E.164 numbers have 7 to 15 digits; ISO dates look like numbers but are not PII.
                if (digits < 7 || digits > 15 || RE2::FullMatch(value, iso_date)) continue;
            }
            next.append(out, last, start - last);
            auto found = placeholders_.find(value);
            std::string ph;
            if (found != placeholders_.end()) {
                ph = found->second;
            } else {
                ph = "[" + std::string(pat.kind) + "_" + std::to_string(++counters_[pat.kind]) + "]";
                placeholders_[value] = ph;
                originals_[ph] = value;
            }
            next += ph;
            last = start + value.size();
        }
        next.append(out, last, std::string::npos);
        out = std::move(next);
    }
    return out;
}

std::string PiiRedactor::restore(const std::string& text) const {
    std::string out = text;
    for (const auto& [ph, original] : originals_) {
        for (std::size_t pos = out.find(ph); pos != std::string::npos; pos = out.find(ph, pos + original.size()))
            out.replace(pos, ph.size(), original);
    }
    return out;
}

}  // namespace switchyard::router
