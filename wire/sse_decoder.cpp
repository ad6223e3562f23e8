#include "wire/sse_decoder.h"

namespace switchyard::wire {

bool SseDecoder::next(std::string& data) {
    for (;;) {
        auto nl = buf_.find('\n', pos_);
        if (nl == std::string::npos) {
            // Drop consumed bytes once in a while so the buffer does not grow with the stream.
            if (pos_ > 0 && pos_ >= buf_.size() / 2) {
                buf_.erase(0, pos_);
                pos_ = 0;
            }
            return false;
        }
        std::string_view line(buf_.data() + pos_, nl - pos_);
        pos_ = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {  // blank line: end of event
            if (!has_data_) continue;
            data = std::move(data_);
            data_.clear();
            has_data_ = false;
            return true;
        }
        if (line.front() == ':') continue;  // comment / keep-alive
        auto colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        if (field != "data") continue;  // event:, id:, retry: carry nothing we use
        std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (has_data_) data_ += '\n';
        data_.append(value);
        has_data_ = true;
    }
}

}  // namespace switchyard::wire
