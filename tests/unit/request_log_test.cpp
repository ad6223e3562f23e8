#include "store/request_log.h"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

using namespace switchyard;

namespace {
std::filesystem::path fresh_db(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() / ("switchyard-test-" + name + ".db");
    for (auto suffix : {"", "-wal", "-shm", ".journal0", ".journal1"}) std::filesystem::remove(p.string() + suffix);
    return p;
}
RequestLogEntry entry(const std::string& id, int status, const std::string& model, double ts = 1000) {
    RequestLogEntry e;
    e.id = id;
    e.ts = ts;
    e.status = status;
    e.model = model;
    e.model_requested = model;
    e.endpoint = "/v1/chat/completions";
    e.prompt = R"([{"role":"user","content":"Fix: teh cat"}])";
    e.answer = "teh cat";
    return e;
}
}  // namespace

TEST(RequestLog, EverythingRecordedIsWrittenAndQueryable) {
    auto path = fresh_db("basic");
    {
        RequestLog log(path);
        std::vector<std::thread> writers;
        for (int t = 0; t < 4; ++t)
            writers.emplace_back([&, t] {
                for (int i = 0; i < 250; ++i) log.record(entry("r" + std::to_string(t) + "-" + std::to_string(i), i % 10 == 0 ? 500 : 200, t % 2 ? "small" : "large", 1000 + i));
            });
        for (auto& w : writers) w.join();
        log.flush();
        EXPECT_EQ(log.written(), 1000u);
        LogFilter all;
        all.limit = 5000;
        EXPECT_EQ(log.query(all).size(), 1000u);
        LogFilter errors;
        errors.errors_only = true;
        errors.limit = 5000;
        EXPECT_EQ(log.query(errors).size(), 100u);
        LogFilter by_model;
        by_model.model = "small";
        by_model.limit = 5000;
        EXPECT_EQ(log.query(by_model).size(), 500u);
        LogFilter recent;
        recent.limit = 3;
        auto rows = log.query(recent);
        ASSERT_EQ(rows.size(), 3u);
        EXPECT_GE(rows[0].ts, rows[1].ts) << "newest first";
    }
    RequestLog reopened(path);  // the destructor flushed; a new process sees everything
    EXPECT_TRUE(reopened.find("r3-249"));
}

TEST(RequestLog, DestructorFlushesPendingEntries) {
    auto path = fresh_db("shutdown");
    {
        RequestLog log(path);
        for (int i = 0; i < 10; ++i) log.record(entry("x" + std::to_string(i), 200, "m"));
    }
    RequestLog reopened(path);
    LogFilter f;
    EXPECT_EQ(reopened.query(f).size(), 10u);
}

TEST(RequestLog, FeedbackNeedsAKnownRequestAndExportsCorrections) {
    RequestLog log(fresh_db("feedback"));
    log.record(entry("a", 200, "m"));
    log.record(entry("b", 200, "m"));
    EXPECT_THROW(log.add_feedback({"nope", 0, "down", "x"}), std::invalid_argument);
    log.add_feedback({"a", 0, "down", "the cat"});   // found although maybe not flushed yet
    log.add_feedback({"b", 0, "up", ""});
    EXPECT_EQ(log.feedback_for("a").size(), 1u);
    auto pairs = log.corrections();
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0].first.id, "a");
    EXPECT_EQ(pairs[0].second.correction, "the cat");
    EXPECT_NE(pairs[0].first.prompt.find("teh cat"), std::string::npos);
}

TEST(RequestLog, UnwritablePathIsAClearError) {
    try {
        RequestLog log("/proc/switchyard/cannot.db");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("/proc/switchyard/cannot.db"), std::string::npos) << e.what();
    }
}

// Disk full: entries stay queued and are retried, failing() is set meanwhile (the server then
// answers 503), flush() does not hang, and once space is back nothing recorded is lost.
// RLIMIT_FSIZE stands in for a full disk: writes past it fail with EFBIG (SIGXFSZ ignored).
TEST(RequestLog, DiskFullKeepsEntriesAndRecovers) {
    auto path = fresh_db("diskfull");
    RequestLog log(path);
    log.record(entry("before", 200, "m"));
    log.flush();
    struct rlimit old{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit tight = old;
    tight.rlim_cur = 64 * 1024;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
    for (int i = 0; i < 20; ++i) {
        auto e = entry("big" + std::to_string(i), 200, "m");
        e.prompt = std::string(20000, 'x');
        log.record(std::move(e));
    }
    bool failed = false;
    for (int i = 0; i < 100 && !failed; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        failed = log.failing();
    }
    EXPECT_TRUE(failed);
    log.flush();  // returns while failing instead of waiting for ever
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, old_handler);
    for (int i = 0; i < 200 && log.failing(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(log.failing());
    log.flush();
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(log.find("big" + std::to_string(i)).has_value()) << i;
    EXPECT_TRUE(log.find("before").has_value());
}

// SIGKILL before the writer committed: the entries recorded (as the server records them before
// a response's last bytes) are in the log after the next start. The parent holds SQLite's write
// lock, so the killed child's writer cannot have committed any of them: only the journal
// (store/log_journal.h) can bring them back.
TEST(RequestLog, EntriesRecordedBeforeSigkillAreRecoveredOnStart) {
    auto path = fresh_db("sigkill");
    { RequestLog create(path); }
    sqlite3* lock_db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &lock_db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(lock_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        RequestLog log(path);
        for (int i = 0; i < 50; ++i) log.record(entry("k" + std::to_string(i), 200, "m", 1000 + i));
        ::kill(::getpid(), SIGKILL);
        _exit(3);
    }
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
    int rows = -1;
    sqlite3_exec(lock_db, "SELECT count(*) FROM requests", [](void* out, int, char** v, char**) {
        *static_cast<int*>(out) = std::atoi(v[0]);
        return 0;
    }, &rows, nullptr);
    EXPECT_EQ(rows, 0) << "the child committed nothing: the test exercises the journal";
    sqlite3_exec(lock_db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(lock_db);

    {
        RequestLog reopened(path);
        for (int i = 0; i < 50; ++i) EXPECT_TRUE(reopened.find("k" + std::to_string(i)).has_value()) << i;
        auto e = reopened.find("k7");
        ASSERT_TRUE(e);
        EXPECT_EQ(e->status, 200);
        EXPECT_EQ(e->answer, "teh cat");
        EXPECT_EQ(e->ts, 1007);
    }
    // A clean shutdown empties the journal: nothing is replayed twice.
    EXPECT_EQ(std::filesystem::file_size(path.string() + ".journal0") + std::filesystem::file_size(path.string() + ".journal1"), 0u);
    sqlite3* check_db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &check_db), SQLITE_OK);
    std::string integrity;
    sqlite3_exec(check_db, "PRAGMA integrity_check", [](void* out, int, char** v, char**) {
        *static_cast<std::string*>(out) = v[0];
        return 0;
    }, &integrity, nullptr);
    sqlite3_close(check_db);
    EXPECT_EQ(integrity, "ok");
}

// Under steady load the journal does not grow: each committed batch empties a segment.
TEST(RequestLog, JournalIsEmptiedAsBatchesCommit) {
    auto path = fresh_db("journal-size");
    RequestLog log(path);
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 50; ++i) log.record(entry("j" + std::to_string(round) + "-" + std::to_string(i), 200, "m"));
        log.flush();
    }
    log.flush();   // the second flush swaps once more, so the segment of the last batch is emptied too
    log.record(entry("last", 200, "m"));
    log.flush();
    const auto bytes = std::filesystem::file_size(path.string() + ".journal0") + std::filesystem::file_size(path.string() + ".journal1");
    EXPECT_LT(bytes, 2000u) << "at most the last entry or two stay in the journal";
}

// A record torn by a kill inside write(2), or damaged, is skipped; the records around it are kept.
TEST(LogJournal, TornAndCorruptRecordsAreSkipped) {
    std::string bytes;
    for (int i = 0; i < 3; ++i) bytes += LogJournal::encode(entry("t" + std::to_string(i), 200, "m"));
    std::string damaged = LogJournal::encode(entry("bad", 200, "m"));
    damaged[damaged.size() / 2] ^= 0x55;
    std::string torn = LogJournal::encode(entry("torn", 200, "m"));
    auto all = LogJournal::decode_all(bytes + damaged + LogJournal::encode(entry("after", 500, "m")) + torn.substr(0, torn.size() - 7));
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].id, "t0");
    EXPECT_EQ(all[2].id, "t2");
    EXPECT_EQ(all[3].id, "after");
    EXPECT_EQ(all[3].status, 500);
    EXPECT_EQ(all[1].prompt, R"([{"role":"user","content":"Fix: teh cat"}])");
}
