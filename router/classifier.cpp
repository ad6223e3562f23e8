#include "router/classifier.h"

#include "config/config.h"
#include "engine/engine_error.h"
#include "engine/model_pool.h"
#include "router/embedding_cache.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace switchyard::router {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "switchyard-classifier";

// Four independent sums: without -ffast-math the compiler may not reorder one float reduction,
// and the dot product is the whole cost of classify().
float dot(const float* a, const float* b, std::size_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

// Returns false for a zero (or non-finite) vector, which has no direction to compare.
bool normalise(std::vector<float>& v) {
    double norm = 0;
    for (float x : v) norm += double(x) * x;
    if (!(norm > 0) || !std::isfinite(norm)) return false;
    const double inv = 1.0 / std::sqrt(norm);
    for (float& x : v) x = static_cast<float>(x * inv);
    return true;
}

// Six decimals keep an index about a quarter of full float text; the error (< 1e-6 per
// component) is far below the gaps between neighbour similarities, and load() renormalises.
json vector_json(const std::vector<float>& v) {
    json a = json::array();
    for (float x : v) a.push_back(std::round(double(x) * 1e6) / 1e6);
    return a;
}

std::vector<float> vector_from(const json& a, int dims, const std::string& where) {
    if (!a.is_array() || a.size() != static_cast<std::size_t>(dims))
        throw ClassifierError(where + ": expected an array of " + std::to_string(dims) + " numbers");
    std::vector<float> v;
    v.reserve(dims);
    for (const auto& x : a) {
        if (!x.is_number()) throw ClassifierError(where + ": expected numbers, got " + x.dump());
        v.push_back(x.get<float>());
    }
    if (!normalise(v)) throw ClassifierError(where + ": zero vector");
    return v;
}

const json& field(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key)) throw ClassifierError(where + ": missing \"" + key + "\"");
    return j[key];
}

// Cuts at most `n` bytes from `s` without splitting a UTF-8 sequence.
std::size_t utf8_floor(const std::string& s, std::size_t n) {
    while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return n;
}

}  // namespace

void ClassifierIndex::save(const std::filesystem::path& path) const {
    json j = {{"format", kFormat}, {"version", 1}, {"embed_model", embed_model}, {"dims", dims}, {"classes", classes}};
    j["centroids"] = json::array();
    for (const auto& c : centroids) j["centroids"].push_back(vector_json(c));
    j["example_class"] = example_class;
    j["examples"] = json::array();
    for (const auto& e : examples) j["examples"].push_back(vector_json(e));
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    // Written beside and renamed over, so a server reading the old index never sees half a file.
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw ClassifierError(tmp.string() + ": cannot write");
        out << j.dump() << "\n";
        if (!out.flush()) throw ClassifierError(tmp.string() + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw ClassifierError(path.string() + ": cannot replace: " + ec.message());
}

ClassifierIndex ClassifierIndex::load(const std::filesystem::path& path) {
    const std::string where = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ClassifierError(where + ": cannot open classifier index (create it with `switchyard router train`)");
    json j;
    try {
        j = json::parse(in);
    } catch (const json::parse_error& e) {
        throw ClassifierError(where + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || j.value("format", "") != kFormat)
        throw ClassifierError(where + ": not a classifier index (expected \"format\": \"" + kFormat + "\")");
    if (j.value("version", 0) != 1) throw ClassifierError(where + ": unsupported index version " + j.value("version", json()).dump());
    ClassifierIndex ix;
    try {
        ix.embed_model = field(j, "embed_model", where).get<std::string>();
        ix.dims = field(j, "dims", where).get<int>();
        ix.classes = field(j, "classes", where).get<std::vector<std::string>>();
        ix.example_class = field(j, "example_class", where).get<std::vector<int>>();
    } catch (const json::type_error& e) {
        throw ClassifierError(where + ": wrong field type: " + e.what());
    }
    if (ix.dims <= 0) throw ClassifierError(where + ": \"dims\" must be positive");
    if (ix.classes.empty()) throw ClassifierError(where + ": \"classes\" is empty");
    const json& cents = field(j, "centroids", where);
    if (!cents.is_array() || cents.size() != ix.classes.size())
        throw ClassifierError(where + ": \"centroids\" must have one vector per class (" + std::to_string(ix.classes.size()) + ")");
    for (std::size_t i = 0; i < cents.size(); ++i)
        ix.centroids.push_back(vector_from(cents[i], ix.dims, where + ": centroids[" + std::to_string(i) + "]"));
    const json& exs = field(j, "examples", where);
    if (!exs.is_array() || exs.size() != ix.example_class.size())
        throw ClassifierError(where + ": \"examples\" and \"example_class\" must have the same length");
    for (std::size_t i = 0; i < exs.size(); ++i) {
        ix.examples.push_back(vector_from(exs[i], ix.dims, where + ": examples[" + std::to_string(i) + "]"));
        if (ix.example_class[i] < 0 || ix.example_class[i] >= static_cast<int>(ix.classes.size()))
            throw ClassifierError(where + ": example_class[" + std::to_string(i) + "] = " + std::to_string(ix.example_class[i]) + " is not a class index");
    }
    return ix;
}

ClassifierIndex train(const std::vector<LabelledExample>& examples, const Embedder& embed, const std::string& embed_model) {
    if (examples.empty()) throw ClassifierError("no examples to train on");
    ClassifierIndex ix;
    ix.embed_model = embed_model;
    std::map<std::string, int> class_ids;
    for (const auto& e : examples) {
        auto [it, fresh] = class_ids.emplace(e.task_class, static_cast<int>(ix.classes.size()));
        if (fresh) ix.classes.push_back(e.task_class);
        ix.example_class.push_back(it->second);
    }
    for (std::size_t first = 0; first < examples.size(); first += kEmbedBatch) {
        const std::size_t last = std::min(examples.size(), first + kEmbedBatch);
        std::vector<std::string> texts;
        for (std::size_t i = first; i < last; ++i) texts.push_back(examples[i].prompt);
        auto vectors = embed(texts);
        if (vectors.size() != texts.size())
            throw ClassifierError("the embedder returned " + std::to_string(vectors.size()) + " vectors for " + std::to_string(texts.size()) + " texts");
        for (std::size_t i = 0; i < vectors.size(); ++i) {
            auto& v = vectors[i];
            if (ix.dims == 0) ix.dims = static_cast<int>(v.size());
            if (v.empty() || static_cast<int>(v.size()) != ix.dims)
                throw ClassifierError("example " + std::to_string(first + i + 1) + ": embedding has " + std::to_string(v.size()) +
                                      " dimensions, expected " + std::to_string(ix.dims));
            if (!normalise(v)) throw ClassifierError("example " + std::to_string(first + i + 1) + ": the embedding is a zero vector");
            ix.examples.push_back(std::move(v));
        }
    }
    ix.centroids.assign(ix.classes.size(), std::vector<float>(ix.dims, 0.0f));
    for (std::size_t i = 0; i < ix.examples.size(); ++i) {
        auto& c = ix.centroids[ix.example_class[i]];
        for (int d = 0; d < ix.dims; ++d) c[d] += ix.examples[i][d];
    }
    for (std::size_t c = 0; c < ix.centroids.size(); ++c)
        if (!normalise(ix.centroids[c])) throw ClassifierError("class '" + ix.classes[c] + "': its examples average to a zero vector");
    return ix;
}

Classification classify(const ClassifierIndex& index, const std::vector<float>& embedding, int k) {
    if (static_cast<int>(embedding.size()) != index.dims)
        throw ClassifierError("embedding has " + std::to_string(embedding.size()) + " dimensions; the index expects " +
                              std::to_string(index.dims) + " (from model '" + index.embed_model + "')");
    const std::size_t n_classes = index.classes.size();
    const std::size_t kk = static_cast<std::size_t>(std::clamp<long>(k, 0, static_cast<long>(index.examples.size())));
    // The k best (similarity, example) pairs, best first; kept sorted by insertion (k is small).
    std::vector<std::pair<float, int>> top;
    top.reserve(kk + 1);
    for (std::size_t i = 0; kk > 0 && i < index.examples.size(); ++i) {
        const float s = dot(embedding.data(), index.examples[i].data(), embedding.size());
        if (top.size() == kk && s <= top.back().first) continue;
        auto pos = std::upper_bound(top.begin(), top.end(), s, [](float v, const auto& p) { return v > p.first; });
        top.insert(pos, {s, static_cast<int>(i)});
        if (top.size() > kk) top.pop_back();
    }
    std::vector<float> votes(n_classes, 0.0f), centroid_sim(n_classes, 0.0f);
    float total = 0;
    // Only similar neighbours vote: a negative similarity is evidence of nothing.
    for (const auto& [s, i] : top) {
        votes[index.example_class[i]] += std::max(s, 0.0f);
        total += std::max(s, 0.0f);
    }
    for (std::size_t c = 0; c < n_classes; ++c) centroid_sim[c] = dot(embedding.data(), index.centroids[c].data(), embedding.size());

    Classification out;
    std::size_t best = 0;
    if (total > 0) {
        out.method = "knn";
        for (std::size_t c = 1; c < n_classes; ++c) if (votes[c] > votes[best]) best = c;
        // A tie (e.g. k even, or two classes equally close) goes to the class whose centroid is
        // nearer: the whole class agrees, not just a handful of neighbours.
        for (std::size_t c = 0; c < n_classes; ++c) {
            if (c != best && votes[c] > 0 && std::fabs(votes[c] - votes[best]) <= 1e-6f * total) {
                out.method = "knn+centroid";
                if (centroid_sim[c] > centroid_sim[best]) best = c;
            }
        }
        for (std::size_t c = 0; c < n_classes; ++c) out.scores.emplace_back(index.classes[c], votes[c] / total);
    } else {
        // No (similar) neighbours: fall back to the centroids, shares of their positive similarity.
        out.method = "centroid";
        float pos = 0;
        for (std::size_t c = 0; c < n_classes; ++c) {
            if (centroid_sim[c] > centroid_sim[best]) best = c;
            pos += std::max(centroid_sim[c], 0.0f);
        }
        for (std::size_t c = 0; c < n_classes; ++c)
            out.scores.emplace_back(index.classes[c], pos > 0 ? std::max(centroid_sim[c], 0.0f) / pos : 0.0f);
    }
    out.task_class = index.classes[best];
    out.confidence = out.scores[best].second;
    std::stable_sort(out.scores.begin(), out.scores.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

std::vector<LabelledExample> read_examples_jsonl(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ClassifierError(path.string() + ": cannot open examples file");
    std::vector<LabelledExample> out;
    std::string line;
    for (int no = 1; std::getline(in, line); ++no) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::string at = path.string() + ":" + std::to_string(no) + ": ";
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) throw ClassifierError(at + "not valid JSON (expected {\"prompt\": \"...\", \"class\": \"...\"})");
        if (!j.is_object()) throw ClassifierError(at + "expected a JSON object, got " + std::string(j.type_name()));
        for (const char* key : {"prompt", "class"}) {
            if (!j.contains(key)) throw ClassifierError(at + "missing \"" + key + "\"");
            if (!j[key].is_string() || j[key].get_ref<const std::string&>().empty())
                throw ClassifierError(at + "\"" + key + "\" must be a non-empty string");
        }
        out.push_back({j["prompt"].get<std::string>(), j["class"].get<std::string>()});
    }
    if (out.empty()) throw ClassifierError(path.string() + ": no examples");
    return out;
}

std::string text_for_embedding(const std::string& prompt, std::size_t max_chars) {
    if (prompt.size() <= max_chars) return prompt;
    const std::size_t head = utf8_floor(prompt, max_chars * 2 / 3);
    std::size_t tail_start = prompt.size() - (max_chars - head);
    while (tail_start < prompt.size() && (static_cast<unsigned char>(prompt[tail_start]) & 0xC0) == 0x80) ++tail_start;
    return prompt.substr(0, head) + "\n...\n" + prompt.substr(tail_start);
}

namespace {

// Runs the model on texts that are already text_for_embedding's output.
std::vector<std::vector<float>> embed_with_pool(ModelPool& pool, const std::string& model, const std::vector<std::string>& texts,
                                                const std::vector<std::string>& originals) {
    ModelLease lease = pool.acquire(model);
    int tokens = 0;
    try {
        return lease->embed(texts, tokens);
    } catch (const EngineError& e) {
        if (e.kind != EngineErrorKind::context_overflow) throw;
    }
    // Code and digits tokenise densely, so a text may still overflow: embed one at a time,
    // halving the character budget of the one that does not fit.
    std::vector<std::vector<float>> out;
    for (const auto& t : originals) {
        for (std::size_t budget = 1024;; budget /= 2) {
            try {
                out.push_back(std::move(lease->embed({text_for_embedding(t, budget)}, tokens).front()));
                break;
            } catch (const EngineError& e) {
                if (e.kind != EngineErrorKind::context_overflow || budget < 64) throw;
            }
        }
    }
    return out;
}

}  // namespace

Embedder pool_embedder(ModelPool& pool, const std::string& model) {
    // Repeated prompts skip the model (router/embedding_cache.h); the cache follows the file.
    const ModelSpec* spec = pool.config().find_model(model);
    auto cache = spec ? std::make_shared<EmbeddingCache>(spec->file, kEmbeddingCacheEntries) : nullptr;
    return [&pool, model, cache](const std::vector<std::string>& texts) {
        std::vector<std::vector<float>> out(texts.size());
        std::vector<std::string> keys, missing_keys, missing_texts;
        std::vector<std::size_t> missing;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            keys.push_back(text_for_embedding(texts[i]));
            std::optional<std::vector<float>> hit = cache ? cache->get(keys.back()) : std::nullopt;
            if (hit) {
                out[i] = std::move(*hit);
            } else {
                missing.push_back(i);
                missing_keys.push_back(keys.back());
                missing_texts.push_back(texts[i]);
            }
        }
        if (missing.empty()) return out;
        auto vectors = embed_with_pool(pool, model, missing_keys, missing_texts);
        for (std::size_t j = 0; j < missing.size() && j < vectors.size(); ++j) {
            if (cache) cache->put(missing_keys[j], vectors[j]);
            out[missing[j]] = std::move(vectors[j]);
        }
        return out;
    };
}

Evaluation evaluate(const ClassifierIndex& index, const std::vector<LabelledExample>& examples, const Embedder& embed, int k) {
    Evaluation ev;
    const std::size_t n = index.classes.size();
    ev.confusion.assign(n + 1, std::vector<int>(n + 1, 0));
    auto class_of = [&](const std::string& name) {
        auto it = std::find(index.classes.begin(), index.classes.end(), name);
        return static_cast<std::size_t>(it - index.classes.begin());  // n = unknown
    };
    for (std::size_t first = 0; first < examples.size(); first += kEmbedBatch) {
        const std::size_t last = std::min(examples.size(), first + kEmbedBatch);
        std::vector<std::string> texts;
        for (std::size_t i = first; i < last; ++i) texts.push_back(examples[i].prompt);
        auto vectors = embed(texts);
        if (vectors.size() != texts.size()) throw ClassifierError("the embedder returned the wrong number of vectors");
        for (std::size_t i = 0; i < vectors.size(); ++i) {
            auto t0 = std::chrono::steady_clock::now();
            Classification c = classify(index, vectors[i], k);
            ev.classify_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
            const std::size_t actual = class_of(examples[first + i].task_class), predicted = class_of(c.task_class);
            ++ev.confusion[actual][predicted];
            ++ev.total;
            if (actual == predicted && actual < n) ++ev.correct;
        }
    }
    return ev;
}

RouteClassifier::RouteClassifier(const RouteSpec& route, const Config& config) {
    if (!route.classifier) throw ClassifierError("route '" + route.name + "' has no classifier");
    spec_ = *route.classifier;
    for (const auto& t : route.tiers) tier_names_.push_back(t.name);
    const std::string where = "route '" + route.name + "': classifier: ";
    try {
        index_ = ClassifierIndex::load(spec_.index);
    } catch (const ClassifierError& e) {
        throw ClassifierError(where + e.what());
    }
    for (const auto& [cls, tier] : spec_.classes) {
        if (std::find(index_.classes.begin(), index_.classes.end(), cls) != index_.classes.end()) continue;
        std::string known;
        for (const auto& c : index_.classes) known += (known.empty() ? "" : ", ") + c;
        throw ClassifierError(where + "class '" + cls + "' is not in " + spec_.index.string() + " (it has: " + known + ")");
    }
    const ModelSpec* m = config.find_model(index_.embed_model);
    if (!m) throw ClassifierError(where + "the index was built with embedding model '" + index_.embed_model + "', which is not configured");
    if (m->kind != ModelKind::embedding) throw ClassifierError(where + "'" + index_.embed_model + "' is not an embedding model");
}

RouteClassifier::Pick RouteClassifier::decide(const std::vector<float>& embedding) const {
    Pick p;
    p.classification = classify(index_, embedding, spec_.k);
    const auto& c = p.classification;
    p.trace = {{"step", "classifier"}, {"class", c.task_class}, {"confidence", c.confidence}, {"method", c.method}};
    if (c.confidence < spec_.min_confidence) {
        p.trace["abstain"] = "confidence below min_confidence";
        p.trace["min_confidence"] = spec_.min_confidence;
        return p;
    }
    auto it = spec_.classes.find(c.task_class);
    if (it == spec_.classes.end()) {
        p.trace["abstain"] = "class '" + c.task_class + "' is not mapped to a tier";
        return p;
    }
    auto t = std::find(tier_names_.begin(), tier_names_.end(), it->second);
    if (t == tier_names_.end()) {  // config parsing rejects this; kept so a bad spec cannot index out of range
        p.trace["abstain"] = "tier '" + it->second + "' does not exist";
        return p;
    }
    p.tier = static_cast<std::size_t>(t - tier_names_.begin());
    p.trace["tier"] = it->second;
    return p;
}

}  // namespace switchyard::router
