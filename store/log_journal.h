// The request log's journal: a request's entry is appended here (one write(2) with O_APPEND, no
// fsync) before the response's last bytes are sent, so an entry that the batching writer has
// not yet committed to SQLite survives a SIGKILL of the server. Start-up replays what a killed
// process left into the database (store/request_log.h).
//
// Two segment files, `<db>.journal0` and `<db>.journal1`. Appends go to the active one; the
// writer swaps segments when it takes a batch, so after that batch commits every entry in the
// inactive segment is in the database and the segment is truncated. The journal is in the page
// cache: it survives the process being killed, not the machine losing power (neither does the
// last SQLite transaction with synchronous=NORMAL).
//
// One process owns a log's journal (an flock on segment 0). Another process opening the same
// log (switchyard logs, eval from-log while the server runs) gets no journal: it neither
// replays nor truncates the owner's entries.
#pragma once

#include "store/store.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace switchyard {

class LogJournal {
public:
    // Takes ownership of `<db>.journal{0,1}` if no other process holds it; throws
    // std::runtime_error naming the file if it cannot be created.
    explicit LogJournal(const std::filesystem::path& db);
    ~LogJournal();
    LogJournal(const LogJournal&) = delete;
    LogJournal& operator=(const LogJournal&) = delete;

    bool owned() const { return fd_[0] >= 0; }
    // What a previous process left in both segments, oldest segment first. A torn or corrupt
    // record (the process died inside write(2)) is skipped.
    std::vector<RequestLogEntry> read_all() const;
    // Empties both segments (after their entries were replayed into the database).
    void clear();

    // Appends one entry to the active segment; false (and the segment left as it was) if the
    // write failed, e.g. the disk is full. Callers serialise append/swap/release.
    bool append(const RequestLogEntry& e);
    // The writer takes a batch: appends from now on go to the other segment, unless that one
    // still holds entries of a batch that failed to commit (it then stays active).
    void swap();
    // The batch taken at the last swap() is committed: the inactive segment is emptied.
    void release();

    // Encoding of one record (exposed for the unit test of torn records).
    static std::string encode(const RequestLogEntry& e);
    static std::vector<RequestLogEntry> decode_all(const std::string& bytes);

private:
    std::filesystem::path path_[2];
    int fd_[2] = {-1, -1};
    std::uint64_t size_[2] = {0, 0};
    int active_ = 0;
};

}  // namespace switchyard
