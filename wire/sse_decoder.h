// The client side of server-sent events: what a remote provider reads back from an upstream's
// streamed response (wire/sse.h is the server side, what Switchyard writes).
#pragma once

#include <string>
#include <string_view>

namespace switchyard::wire {

// Splits a server-sent-events byte stream into event payloads, whatever the read boundaries
// (an event may arrive in many pieces, or many events in one read). Lines end in "\n" or "\r\n";
// "data:" lines of one event are joined with "\n"; comments (": keep-alive", sent by OpenRouter)
// and other fields are skipped.
class SseDecoder {
public:
    void feed(std::string_view bytes) { buf_.append(bytes); }
    // Next complete event's data; false when no complete event is buffered yet.
    bool next(std::string& data);
    // Bytes received but not yet part of a complete event.
    std::size_t pending() const { return buf_.size() - pos_; }

private:
    std::string buf_;
    std::size_t pos_ = 0;
    std::string data_;
    bool has_data_ = false;
};

}  // namespace switchyard::wire
