#include "store/log_journal.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace switchyard {
namespace {

// A record: "SYJ1", payload length (u32), FNV-1a of the payload (u32), payload. The checksum
// tells a record torn by a kill inside write(2) from a whole one.
constexpr char kMagic[4] = {'S', 'Y', 'J', '1'};
constexpr std::size_t kHeader = 12;
constexpr std::uint32_t kMaxRecord = 256u << 20;

std::uint32_t fnv1a(const char* p, std::size_t n) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 16777619u;
    return h;
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, const std::string& s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
}
void put_double(std::string& out, double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, sizeof v);
    put_u64(out, v);
}

struct Reader {
    const char* p;
    std::size_t n, pos = 0;
    bool ok = true;
    std::uint64_t u(int bytes) {
        if (n - pos < static_cast<std::size_t>(bytes)) { ok = false; return 0; }
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[pos + i])) << (8 * i);
        pos += bytes;
        return v;
    }
    std::string str() {
        auto len = u(4);
        if (!ok || n - pos < len) { ok = false; return {}; }
        std::string s(p + pos, len);
        pos += len;
        return s;
    }
    double dbl() {
        std::uint64_t v = u(8);
        double d;
        std::memcpy(&d, &v, sizeof d);
        return d;
    }
    int integer() { return static_cast<int>(static_cast<std::int64_t>(u(8))); }
};

std::string read_file(int fd) {
    std::string out;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        off += n;
    }
    return out;
}

}  // namespace

std::string LogJournal::encode(const RequestLogEntry& e) {
    std::string payload;
    for (const auto* s : {&e.id, &e.api_key, &e.endpoint, &e.model_requested, &e.model, &e.route, &e.trace,
                          &e.models_tried, &e.task_class, &e.finish_reason, &e.error, &e.prompt, &e.answer, &e.tier})
        put_str(payload, *s);
    for (double d : {e.ts, e.latency_ms, e.ttft_ms, e.cost}) put_double(payload, d);
    for (int i : {e.escalations, e.status, e.prompt_tokens, e.completion_tokens, e.cached_tokens})
        put_u64(payload, static_cast<std::uint64_t>(static_cast<std::int64_t>(i)));
    std::string rec(kMagic, 4);
    put_u32(rec, static_cast<std::uint32_t>(payload.size()));
    put_u32(rec, fnv1a(payload.data(), payload.size()));
    return rec + payload;
}

std::vector<RequestLogEntry> LogJournal::decode_all(const std::string& bytes) {
    std::vector<RequestLogEntry> out;
    std::size_t pos = 0;
    while (bytes.size() - pos >= kHeader) {
        Reader h{bytes.data() + pos + 4, 8};
        const std::uint32_t len = static_cast<std::uint32_t>(h.u(4)), sum = static_cast<std::uint32_t>(h.u(4));
        const bool whole = std::memcmp(bytes.data() + pos, kMagic, 4) == 0 && len <= kMaxRecord &&
                           bytes.size() - pos - kHeader >= len && fnv1a(bytes.data() + pos + kHeader, len) == sum;
        if (!whole) {
            // Torn or corrupt: resynchronise on the next record's magic.
            auto next = bytes.find(std::string(kMagic, 4), pos + 1);
            if (next == std::string::npos) break;
            pos = next;
            continue;
        }
        Reader r{bytes.data() + pos + kHeader, len};
        RequestLogEntry e;
        for (auto* s : {&e.id, &e.api_key, &e.endpoint, &e.model_requested, &e.model, &e.route, &e.trace,
                        &e.models_tried, &e.task_class, &e.finish_reason, &e.error, &e.prompt, &e.answer, &e.tier})
            *s = r.str();
        for (double* d : {&e.ts, &e.latency_ms, &e.ttft_ms, &e.cost}) *d = r.dbl();
        for (int* i : {&e.escalations, &e.status, &e.prompt_tokens, &e.completion_tokens, &e.cached_tokens}) *i = r.integer();
        if (r.ok && !e.id.empty()) out.push_back(std::move(e));
        pos += kHeader + len;
    }
    return out;
}

LogJournal::LogJournal(const std::filesystem::path& db) {
    for (int i = 0; i < 2; ++i) path_[i] = db.string() + ".journal" + std::to_string(i);
    int fds[2];
    for (int i = 0; i < 2; ++i) {
        fds[i] = ::open(path_[i].c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fds[i] < 0) {
            std::string why = std::strerror(errno);
            if (i == 1) ::close(fds[0]);
            throw std::runtime_error("request log: cannot open the journal " + path_[i].string() + ": " + why);
        }
    }
    // Another process serves this log and owns its journal: leave it alone.
    if (::flock(fds[0], LOCK_EX | LOCK_NB) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    for (int i = 0; i < 2; ++i) {
        fd_[i] = fds[i];
        struct stat st{};
        size_[i] = ::fstat(fd_[i], &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }
}

LogJournal::~LogJournal() {
    for (int fd : fd_)
        if (fd >= 0) ::close(fd);   // closing releases the flock
}

std::vector<RequestLogEntry> LogJournal::read_all() const {
    if (!owned()) return {};
    // The inactive segment holds the older entries.
    std::vector<RequestLogEntry> out = decode_all(read_file(fd_[1 - active_]));
    auto newer = decode_all(read_file(fd_[active_]));
    out.insert(out.end(), std::make_move_iterator(newer.begin()), std::make_move_iterator(newer.end()));
    return out;
}

void LogJournal::clear() {
    for (int i = 0; i < 2; ++i)
        if (fd_[i] >= 0 && ::ftruncate(fd_[i], 0) == 0) size_[i] = 0;
}

bool LogJournal::append(const RequestLogEntry& e) {
    const int fd = fd_[active_];
    if (fd < 0) return false;
    const std::string rec = encode(e);
    std::size_t done = 0;
    while (done < rec.size()) {
        ssize_t n = ::write(fd, rec.data() + done, rec.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Disk full or an I/O error: leave no partial record behind the next append.
            if (done > 0 && ::ftruncate(fd, static_cast<off_t>(size_[active_])) != 0) size_[active_] += done;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    size_[active_] += rec.size();
    return true;
}

void LogJournal::swap() {
    if (!owned() || size_[1 - active_] != 0) return;
    active_ = 1 - active_;
}

void LogJournal::release() {
    const int inactive = 1 - active_;
    if (fd_[inactive] >= 0 && size_[inactive] != 0 && ::ftruncate(fd_[inactive], 0) == 0) size_[inactive] = 0;
}

}  // namespace switchyard
