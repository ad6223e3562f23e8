#include "router/learned_router.h"

#include "config/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <numeric>

namespace switchyard::router {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "switchyard-learned-router";

float sigmoid(double z) { return static_cast<float>(1.0 / (1.0 + std::exp(-z))); }

}  // namespace

const std::vector<std::string>& cheap_feature_names() {
    static const std::vector<std::string> names = {"log_chars", "digit_share", "numbers", "lines", "code_markers",
                                                   "question_marks", "operators", "json_words"};
    return names;
}

std::vector<float> cheap_features(const std::string& prompt) {
    int digits = 0, numbers = 0, lines = 1, questions = 0, operators = 0;
    bool in_number = false;
    for (char ch : prompt) {
        const bool d = std::isdigit(static_cast<unsigned char>(ch)) != 0;
        digits += d;
        if (d && !in_number) ++numbers;
        in_number = d;
        lines += ch == '\n';
        questions += ch == '?';
        operators += ch == '*' || ch == '+' || ch == '/' || ch == '=' || ch == '%';
    }
    auto has = [&](const char* s) { return prompt.find(s) != std::string::npos ? 1.0f : 0.0f; };
    const float code = has("```") + has("def ") + has("print(") + has("for ") + has("return ");
    const float json_words = has("JSON") + has("json") + has("keys ");
    const float n = static_cast<float>(std::max<std::size_t>(1, prompt.size()));
    return {std::log1p(static_cast<float>(prompt.size())), digits / n, std::min(20.0f, float(numbers)),
            std::min(20.0f, float(lines)), code, std::min(5.0f, float(questions)), std::min(20.0f, float(operators)), json_words};
}

std::vector<float> hashed_ngrams(const std::string& prompt, int dims) {
    std::vector<std::string> words;
    std::string cur;
    enum { none, letters, digits } kind = none;
    auto flush = [&] {
        if (kind == digits) cur = "<num" + std::to_string(std::min<std::size_t>(cur.size(), 4)) + ">";
        if (!cur.empty()) words.push_back(cur);
        cur.clear();
        kind = none;
    };
    for (unsigned char ch : prompt) {
        // Bytes of multi-byte UTF-8 characters count as letters, so non-ASCII words stay words.
        const bool letter = std::isalpha(ch) || ch >= 0x80, digit = std::isdigit(ch) != 0;
        if (letter || digit) {
            if ((letter && kind == digits) || (digit && kind == letters)) flush();
            kind = letter ? letters : digits;
            cur += static_cast<char>(letter && ch < 0x80 ? std::tolower(ch) : ch);
        } else {
            flush();
            if (!std::isspace(ch)) words.emplace_back(1, static_cast<char>(ch));
        }
    }
    flush();
    std::vector<float> v(static_cast<std::size_t>(dims), 0.0f);
    auto add = [&](const std::string& g) {
        std::uint64_t h = 1469598103934665603ull;
        for (unsigned char c : g) { h ^= c; h *= 1099511628211ull; }
        v[h % static_cast<std::uint64_t>(dims)] += 1.0f;
    };
    for (std::size_t i = 0; i < words.size(); ++i) {
        add(words[i]);
        if (i + 1 < words.size()) add(words[i] + " " + words[i + 1]);
    }
    double norm = 0;
    for (float x : v) norm += double(x) * x;
    if (norm > 0) for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
}

float LearnedRouterModel::predict(const std::vector<float>& embedding, const std::string& prompt) const {
    const std::vector<float> hashed = needs_embedding() ? std::vector<float>{} : hashed_ngrams(prompt, dims);
    const std::vector<float>& x = needs_embedding() ? embedding : hashed;
    if (static_cast<int>(x.size()) != dims)
        throw LearnedRouterError("embedding has " + std::to_string(x.size()) + " values, the router expects " + std::to_string(dims));
    double z = bias;
    for (int i = 0; i < dims; ++i) z += double(weights[i]) * x[i];
    const auto f = cheap_features(prompt);
    for (std::size_t j = 0; j < f.size() && dims + j < weights.size(); ++j)
        z += double(weights[dims + j]) * (f[j] - feature_mean[j]) / feature_scale[j];
    return sigmoid(z);
}

void LearnedRouterModel::save(const std::filesystem::path& path) const {
    json j = {{"format", kFormat}, {"version", 1}, {"input", input}, {"embed_model", embed_model}, {"dims", dims},
              {"features", feature_names}, {"feature_mean", feature_mean}, {"feature_scale", feature_scale},
              {"weights", weights}, {"bias", bias}, {"threshold", threshold}, {"small", small}, {"large", large},
              {"info", info}};
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw LearnedRouterError(tmp.string() + ": cannot write");
        out << j.dump(1) << "\n";
        if (!out.flush()) throw LearnedRouterError(tmp.string() + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);  // a server reading the old file never sees half a new one
    if (ec) throw LearnedRouterError(path.string() + ": cannot replace: " + ec.message());
}

LearnedRouterModel LearnedRouterModel::load(const std::filesystem::path& path) {
    const std::string where = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw LearnedRouterError(where + ": cannot open learned router (create it with `switchyard router fit`)");
    json j;
    try {
        j = json::parse(in);
    } catch (const std::exception& e) {
        throw LearnedRouterError(where + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || j.value("format", "") != kFormat)
        throw LearnedRouterError(where + ": not a learned router file (format is not '" + std::string(kFormat) + "')");
    if (j.value("version", 0) != 1) throw LearnedRouterError(where + ": unsupported version " + j.value("version", json()).dump());
    LearnedRouterModel m;
    try {
        m.input = j.value("input", "embedding");
        m.embed_model = j.at("embed_model").get<std::string>();
        m.dims = j.at("dims").get<int>();
        m.feature_names = j.at("features").get<std::vector<std::string>>();
        m.feature_mean = j.at("feature_mean").get<std::vector<float>>();
        m.feature_scale = j.at("feature_scale").get<std::vector<float>>();
        m.weights = j.at("weights").get<std::vector<float>>();
        m.bias = j.at("bias").get<float>();
        m.threshold = j.at("threshold").get<float>();
        m.small = j.value("small", "");
        m.large = j.value("large", "");
        m.info = j.value("info", json::object());
    } catch (const std::exception& e) {
        throw LearnedRouterError(where + ": " + e.what());
    }
    if (m.input != "embedding" && m.input != "hashed_ngrams")
        throw LearnedRouterError(where + ": unknown input '" + m.input + "' (embedding or hashed_ngrams)");
    if (m.feature_names != cheap_feature_names())
        throw LearnedRouterError(where + ": its cheap features differ from this build's; refit with `switchyard router fit`");
    if (m.dims <= 0 || m.weights.size() != m.dims + m.feature_names.size() || m.feature_mean.size() != m.feature_names.size() ||
        m.feature_scale.size() != m.feature_names.size())
        throw LearnedRouterError(where + ": inconsistent sizes (dims, weights, features)");
    if (!(m.threshold >= 0 && m.threshold <= 1)) throw LearnedRouterError(where + ": threshold must be within [0, 1]");
    return m;
}

LearnedRouterModel fit_logistic(const std::vector<TrainingExample>& examples, const FitOptions& o) {
    if (examples.empty()) throw LearnedRouterError("no training examples");
    const int dims = static_cast<int>(examples[0].embedding.size());
    if (dims == 0) throw LearnedRouterError("empty embedding");
    std::size_t pos = 0;
    for (const auto& e : examples) {
        if (static_cast<int>(e.embedding.size()) != dims) throw LearnedRouterError("embeddings of different sizes");
        pos += e.cheap_ok;
    }
    if (pos == 0 || pos == examples.size())
        throw LearnedRouterError(std::string("every training label is '") + (pos ? "cheap tier good enough" : "cheap tier not good enough") +
                                 "': one class, nothing to learn (add prompts where the other outcome happened)");
    LearnedRouterModel m;
    m.dims = dims;
    m.feature_names = cheap_feature_names();
    const std::size_t nf = m.feature_names.size(), n = examples.size(), d = dims + nf;
    // Inputs: the embedding as is (already unit length), then the standardised cheap features.
    std::vector<std::vector<float>> x(n);
    std::vector<std::vector<float>> raw(n);
    for (std::size_t i = 0; i < n; ++i) raw[i] = cheap_features(examples[i].prompt);
    m.feature_mean.assign(nf, 0);
    m.feature_scale.assign(nf, 0);
    for (const auto& f : raw) for (std::size_t j = 0; j < nf; ++j) m.feature_mean[j] += f[j] / n;
    for (const auto& f : raw) for (std::size_t j = 0; j < nf; ++j) m.feature_scale[j] += (f[j] - m.feature_mean[j]) * (f[j] - m.feature_mean[j]) / n;
    for (auto& s : m.feature_scale) s = s > 1e-12f ? std::sqrt(s) : 1.0f;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = examples[i].embedding;
        // Embedding coordinates are ~1/sqrt(dims) in size; scaling them up lets one learning rate suit both parts.
        for (auto& v : x[i]) v *= std::sqrt(static_cast<float>(dims));
        for (std::size_t j = 0; j < nf; ++j) x[i].push_back((raw[i][j] - m.feature_mean[j]) / m.feature_scale[j]);
    }
    const double w_pos = o.balance ? 0.5 * n / pos : 1.0, w_neg = o.balance ? 0.5 * n / (n - pos) : 1.0;
    std::vector<double> w(d, 0), mom(d + 1, 0), vel(d + 1, 0), grad(d + 1, 0);
    double b = 0;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        std::fill(grad.begin(), grad.end(), 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            double z = b;
            for (std::size_t k = 0; k < d; ++k) z += w[k] * x[i][k];
            const double y = examples[i].cheap_ok ? 1.0 : 0.0;
            const double err = (sigmoid(z) - y) * (y > 0 ? w_pos : w_neg) / n;
            for (std::size_t k = 0; k < d; ++k) grad[k] += err * x[i][k];
            grad[d] += err;
        }
        for (std::size_t k = 0; k < d; ++k) grad[k] += o.l2 * w[k];
        for (std::size_t k = 0; k <= d; ++k) {
            mom[k] = b1 * mom[k] + (1 - b1) * grad[k];
            vel[k] = b2 * vel[k] + (1 - b2) * grad[k] * grad[k];
            const double step = o.learning_rate * (mom[k] / (1 - std::pow(b1, epoch))) / (std::sqrt(vel[k] / (1 - std::pow(b2, epoch))) + eps);
            if (k < d) w[k] -= step; else b -= step;
        }
    }
    m.weights.resize(d);
    for (std::size_t k = 0; k < d; ++k) m.weights[k] = static_cast<float>(k < std::size_t(dims) ? w[k] * std::sqrt(double(dims)) : w[k]);
    m.bias = static_cast<float>(b);
    return m;
}

ThresholdChoice choose_threshold(const std::vector<ValidationRow>& rows, double target_quality, double max_large_share) {
    if ((target_quality >= 0) == (max_large_share >= 0)) throw LearnedRouterError("give exactly one of target_quality and max_large_share");
    if (rows.empty()) throw LearnedRouterError("no validation rows to choose a threshold on");
    // Candidate thresholds: every distinct p (the cheap tier answers when p >= t), plus "never cheap".
    std::vector<float> cands;
    for (const auto& r : rows) cands.push_back(r.p);
    cands.push_back(1.0f + 1e-6f);
    std::sort(cands.begin(), cands.end());
    cands.erase(std::unique(cands.begin(), cands.end()), cands.end());
    std::vector<const ValidationRow*> both;
    for (const auto& r : rows) if (r.large_score) both.push_back(&r);
    auto evaluate = [&](float t) {
        ThresholdChoice c;
        c.threshold = std::min(1.0f, t);
        int large = 0;
        for (const auto& r : rows) large += r.p < t;
        c.large_share = double(large) / rows.size();
        if (!both.empty()) {
            double q = 0, ql = 0;
            for (const auto* r : both) {
                q += r->p >= t ? r->small_score : *r->large_score;
                ql += *r->large_score;
            }
            c.quality = q / both.size();
            c.large_quality = ql / both.size();
            c.quality_fraction = c.large_quality > 0 ? c.quality / c.large_quality : -1;
        }
        return c;
    };
    if (max_large_share >= 0) {
        // Thresholds ascend, and so does the large share: the last one within the cap.
        ThresholdChoice best = evaluate(cands.front());
        best.met = best.large_share <= max_large_share + 1e-12;
        for (float t : cands) {
            auto c = evaluate(t);
            if (c.large_share <= max_large_share + 1e-12) best = c;
        }
        return best;
    }
    if (both.empty())
        throw LearnedRouterError("target_quality needs the large tier's outcomes on validation prompts, and none has one "
                                 "(run the large tier on some of them, or use --max-large-share)");
    // The smallest large share whose quality reaches the target; ties keep the lower threshold.
    std::optional<ThresholdChoice> best;
    for (float t : cands) {
        auto c = evaluate(t);
        const double goal = target_quality * c.large_quality;
        if (c.quality + 1e-12 >= goal && (!best || c.large_share < best->large_share)) best = c;
    }
    if (best) return *best;
    auto c = evaluate(cands.back());
    c.met = false;
    return c;
}

double roc_auc(const std::vector<float>& p, const std::vector<bool>& labels) {
    std::vector<std::size_t> idx(p.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return p[a] < p[b]; });
    double pos = 0, neg = 0, rank_sum = 0;
    for (std::size_t i = 0; i < idx.size();) {
        std::size_t j = i;
        while (j < idx.size() && p[idx[j]] == p[idx[i]]) ++j;
        const double avg_rank = (i + j + 1) / 2.0;  // 1-based mean rank of the tie group
        for (std::size_t k = i; k < j; ++k)
            if (labels[idx[k]]) { rank_sum += avg_rank; ++pos; } else ++neg;
        i = j;
    }
    if (pos == 0 || neg == 0) return -1;
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

RouteLearnedRouter::RouteLearnedRouter(const RouteSpec& route, const Config& config) {
    if (!route.learned) throw LearnedRouterError("route '" + route.name + "' has no router block");
    const auto& spec = *route.learned;
    const std::string where = "route '" + route.name + "': router: ";
    try {
        model_ = LearnedRouterModel::load(spec.file);
    } catch (const LearnedRouterError& e) {
        throw LearnedRouterError(where + e.what());
    }
    file_name_ = spec.file.filename().string();
    threshold_ = spec.threshold.value_or(model_.threshold);
    auto index = [&](const std::string& name, std::size_t fallback) {
        for (std::size_t i = 0; i < route.tiers.size(); ++i) if (route.tiers[i].name == name) return i;
        return fallback;
    };
    small_ = spec.small.empty() ? 0 : index(spec.small, 0);
    large_ = spec.large.empty() ? route.tiers.size() - 1 : index(spec.large, route.tiers.size() - 1);
    small_name_ = route.tiers[small_].name;
    large_name_ = route.tiers[large_].name;
    if (!model_.needs_embedding()) return;
    const ModelSpec* m = config.find_model(model_.embed_model);
    if (!m) throw LearnedRouterError(where + "the router was fitted with embedding model '" + model_.embed_model + "', which is not configured");
    if (m->kind != ModelKind::embedding) throw LearnedRouterError(where + "'" + model_.embed_model + "' is not an embedding model");
}

RouteLearnedRouter::Pick RouteLearnedRouter::decide(const std::vector<float>& embedding, const std::string& prompt) const {
    Pick pick;
    pick.p = model_.predict(embedding, prompt);
    pick.tier = pick.p >= threshold_ ? small_ : large_;
    pick.trace = {{"step", "learned_router"}, {"p_small_ok", pick.p}, {"threshold", threshold_},
                  {"tier", pick.tier == small_ ? small_name_ : large_name_}, {"file", file_name_}};
    return pick;
}

}  // namespace switchyard::router
