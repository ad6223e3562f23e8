// Forwarding a client's JSON body upstream without re-serialising it. The gateway's usual change
// to a chat request is one field ("model": the route name becomes the tier's model), and building
// a JSON tree, copying it and dumping it again for that cost more CPU per proxied request than
// everything else on the path. forward_body edits the text instead: the client's bytes reach the
// upstream unchanged (key order, number spelling, unknown fields) except for the edited values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::wire {

// One member of a top-level JSON object, as spans of the text it was scanned from.
struct TopLevelMember {
    std::string_view key;          // as written between the quotes (only keys without escapes)
    std::size_t value_begin = 0;   // offset of the value's first byte
    std::size_t value_end = 0;     // one past its last byte
};

// The members of `body`, which must be one JSON object (surrounding whitespace allowed), in order.
// nullopt when it is not, or when a key contains an escape sequence (such a key cannot be compared
// byte for byte, so callers fall back to a full parse). Values are skipped, not validated: call
// this only on text a JSON parser has already accepted.
std::optional<std::vector<TopLevelMember>> scan_top_level(std::string_view body);

// `body` with its top-level "model" value replaced by `model` (as a JSON string) and, when
// `add_include_usage`, "stream_options": {"include_usage": true} added as its first member.
// nullopt when that cannot be done exactly (not an object, "model" missing, not a string or
// present twice, an escaped key, or "stream_options" already present while one must be added):
// the caller then edits a parsed copy instead.
std::optional<std::string> forward_body(std::string_view body, std::string_view model, bool add_include_usage);

}  // namespace switchyard::wire
