// Fuzzes PII redaction. Invariants: redaction never crashes or hangs on any text, and restoring
// the redacted text gives the original back (for text that has no '[' of its own, which could
// collide with a placeholder such as [EMAIL_1]).
#include "router/pii.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    switchyard::router::PiiRedactor r;
    std::string redacted = r.redact(text);
    std::string again = r.redact(text);
    if (again != redacted) std::abort();  // the same value keeps its placeholder
    if (text.find('[') == std::string::npos && r.restore(redacted) != text) std::abort();
    return 0;
}
