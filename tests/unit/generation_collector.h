// Collects the events of one generation for the engine tests: the streamed text, the number of
// deltas and the terminal event; wait() blocks until that event arrives (failing the test past
// its limit). Also greedy(): sampling parameters for a deterministic answer.
#pragma once

#include "engine/generation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

namespace switchyard::testing {

struct Collected {
    std::string text;
    GenerationEvent done;
    int deltas = 0;
};

class Collector {
public:
    EventSink sink() {
        return [this](GenerationEvent&& ev) {
            std::lock_guard lock(mu_);
            if (ev.type == GenerationEvent::Type::delta) { result_.text += ev.text; ++result_.deltas; if (on_delta) on_delta(); return; }
            result_.done = std::move(ev);
            finished_ = true;
            cv_.notify_all();
        };
    }
    Collected wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
        std::unique_lock lock(mu_);
        EXPECT_TRUE(cv_.wait_for(lock, limit, [&] { return finished_; }));
        return result_;
    }
    std::function<void()> on_delta;   // called with each delta, under the collector's lock
private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool finished_ = false;
    Collected result_;
};

inline SamplingParams greedy(int max_tokens) {
    SamplingParams p;
    p.max_tokens = max_tokens;
    p.temperature = 0;
    return p;
}

}  // namespace switchyard::testing
