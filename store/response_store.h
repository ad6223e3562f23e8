// Stored Responses (POST /v1/responses with store: true), so a later request can continue the
// conversation with previous_response_id and GET/DELETE /v1/responses/{id} work. With a request
// log configured they live in its SQLite file (table `responses`, same database); without one,
// in memory (the newest `memory_limit`). Each response keeps the chat messages of its whole
// conversation (without instructions, which are not inherited) and its session key.
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace switchyard {

struct StoredResponse {
    std::string id;
    double ts = 0;
    std::string api_key;           // the caller's key name or fingerprint: only it may read the response
    std::string session;           // the conversation's session key (its first response id)
    std::string messages;          // JSON array: the conversation as chat messages, answer included
    std::string response;          // JSON: the response object as returned
};

class ResponseStore {
public:
    // `file` "" = in memory. Throws std::runtime_error with the path when the file cannot be opened.
    explicit ResponseStore(const std::filesystem::path& file, std::size_t memory_limit = 1000);
    ~ResponseStore();
    ResponseStore(const ResponseStore&) = delete;
    ResponseStore& operator=(const ResponseStore&) = delete;

    void put(const StoredResponse& r);
    std::optional<StoredResponse> get(const std::string& id);
    bool remove(const std::string& id);

private:
    std::mutex mu_;
    sqlite3* db_ = nullptr;
    std::size_t memory_limit_;
    std::map<std::string, StoredResponse> memory_;
    std::deque<std::string> order_;
};

}  // namespace switchyard
