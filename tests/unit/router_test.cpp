#include "config/config.h"
#include "router/checks.h"
#include "router/pii.h"
#include "router/policy.h"
#include "router/verifier.h"

#include <gtest/gtest.h>

using namespace switchyard;
using namespace switchyard::router;

namespace {
const char* kRoutes = R"(
models:
  - {name: small, file: s.gguf}
  - {name: emb, file: e.gguf, kind: embedding}
providers:
  - {name: cloud, base_url: "https://api.example.com/v1/", api_key_env: NOPE, price: {input: 0.15, output: 0.6}}
routes:
  - name: auto
    tiers:
      - {name: small, model: small}
      - {name: large, provider: cloud, model: big}
    rules:
      - {name: tools, tools: true, tier: large}
      - {name: proofs, regex: "\\b(prove|derive)\\b", tier: large}
      - {name: keywords, keywords: [Refactor, algorithm], tier: large}
      - {name: long, min_chars: 2000, tier: large}
      - {name: triage, task: classify, tier: small}
    cascade: {min_mean_logprob: -1.0}
)";

std::string config_error(const std::string& yaml) {
    try { parse_config(yaml, "/c", "r.yaml"); } catch (const ConfigError& e) { return e.what(); }
    return "(no error)";
}

json chat(const std::string& text) { return {{"model", "auto"}, {"messages", json::array({{{"role", "user"}, {"content", text}}})}}; }
}  // namespace

TEST(RoutingConfig, ParsesProvidersAndRoutes) {
    auto cfg = parse_config(kRoutes, "/c", "r.yaml");
    ASSERT_EQ(cfg.providers.size(), 1u);
    EXPECT_EQ(cfg.providers[0].base_url, "https://api.example.com/v1");
    EXPECT_DOUBLE_EQ(cfg.providers[0].price_output, 0.6);
    ASSERT_NE(cfg.find_route("auto"), nullptr);
    EXPECT_EQ(cfg.find_route("auto")->tiers[1].provider, "cloud");
    EXPECT_TRUE(cfg.find_route("auto")->cascade.enabled);
    EXPECT_FLOAT_EQ(cfg.find_route("auto")->cascade.min_mean_logprob, -1.0f);
}

TEST(RoutingConfig, RejectsDanglingNames) {
    std::string base = "models:\n  - {name: small, file: s.gguf}\n  - {name: emb, file: e.gguf, kind: embedding}\n";
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small, provider: nowhere}]}\n").find("unknown provider 'nowhere'"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: tiny}]}\n").find("unknown local model 'tiny'"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: emb}]}\n").find("embedding model"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: small, tiers: [{model: small}]}\n").find("already a model name"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], rules: [{keywords: [x], tier: huge}]}\n").find("unknown tier 'huge'"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], rules: [{regex: '(', tier: small}]}\n").find("invalid regular expression"), std::string::npos);
    EXPECT_NE(config_error(base + "providers: [{name: c, base_url: 'ftp://x'}]\nroutes:\n  - {name: r, tiers: [{model: small}]}\n").find("must start with http"), std::string::npos);
    EXPECT_NE(config_error(base + "providers: [{name: c, base_url: 'http://x'}]\nroutes:\n  - {name: r, local_only: true, tiers: [{model: m, provider: c}]}\n").find("no local tier"), std::string::npos);
    EXPECT_NE(config_error(base + "providers: [{name: c, api: gemini, base_url: 'http://x'}]\n").find("expected 'openai' (chat completions) or 'anthropic'"), std::string::npos);
}

TEST(RoutingConfig, AProviderMaySpeakTheAnthropicMessagesApi) {
    auto cfg = parse_config("models:\n  - {name: small, file: s.gguf}\nproviders:\n  - {name: a, api: anthropic, base_url: 'https://api.anthropic.com/v1'}\n"
                            "  - {name: o, base_url: 'http://x/v1'}\n", "/c", "r.yaml");
    EXPECT_EQ(cfg.providers[0].api, switchyard::RemoteProviderSpec::Api::anthropic);
    EXPECT_EQ(cfg.providers[1].api, switchyard::RemoteProviderSpec::Api::openai);
}

TEST(RoutePolicy, RulesPickTiersAndExplainThemselves) {
    auto cfg = parse_config(kRoutes, "/c", "r.yaml");
    RoutePolicy policy(*cfg.find_route("auto"));
    auto decide = [&](const json& req, const std::string& task = "") { return policy.decide(extract_features(req, task)); };
    EXPECT_EQ(decide(chat("fix the typo: teh cat")).tier, 0u);
    EXPECT_EQ(decide(chat("fix the typo: teh cat")).trace[0]["step"], "default");
    auto d = decide(chat("Please prove that sqrt(2) is irrational"));
    EXPECT_EQ(d.tier, 1u);
    EXPECT_EQ(d.trace[0]["rule"], "proofs");
    EXPECT_EQ(decide(chat("help me REFACTOR this")).trace[0]["rule"], "keywords");
    EXPECT_EQ(decide(chat(std::string(2500, 'a'))).trace[0]["rule"], "long");
    json with_tools = chat("weather?");
    with_tools["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
    EXPECT_EQ(decide(with_tools).trace[0]["rule"], "tools");
    json meta = chat("prove it");
    meta["metadata"] = {{"task", "classify"}};
    EXPECT_EQ(decide(meta).tier, 1u) << "earlier rules win";
    EXPECT_EQ(decide(chat("label this"), "classify").trace[0]["rule"], "triage");
}

TEST(RoutePolicy, FeaturesReadPartsMetadataAndLocalOnly) {
    json req = {{"model", "auto"}, {"metadata", {{"task", "extract"}, {"local_only", "true"}}},
                {"messages", json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "hello"}},
                                                                                   {{"type", "image_url"}, {"image_url", {{"url", "x"}}}}})}}})}};
    auto f = extract_features(req, "");
    EXPECT_EQ(f.prompt, "hello");
    EXPECT_TRUE(f.has_images);
    EXPECT_EQ(f.task, "extract");
    EXPECT_TRUE(f.local_only);
    EXPECT_EQ(extract_features(req, "summarise").task, "summarise") << "the header wins over metadata";
}

TEST(CascadeChecks, EscalateOnlyForTheGivenReasons) {
    CascadeSpec spec;
    spec.enabled = true;
    spec.min_mean_logprob = -1.0f;
    spec.min_token_logprob = -6.0f;
    providers::ProviderResult r;
    r.content = "Paris";
    r.token_logprobs = {-0.1f, -0.2f};
    EXPECT_TRUE(check_answer(spec, r, false).accept);
    r.token_logprobs = {-2.0f, -1.5f};
    auto c = check_answer(spec, r, false);
    EXPECT_FALSE(c.accept);
    EXPECT_NE(c.reason.find("mean token logprob"), std::string::npos);
    r.token_logprobs = {-0.1f, -7.0f, -0.1f, -0.1f, -0.1f, -0.1f, -0.1f, -0.1f};
    EXPECT_NE(check_answer(spec, r, false).reason.find("minimum token logprob"), std::string::npos);
    r.token_logprobs.clear();
    r.content = "  \n";
    EXPECT_EQ(check_answer(spec, r, false).reason, "empty answer");
    r.content = "I'm sorry, but I can't help with that.";
    EXPECT_EQ(check_answer(spec, r, false).reason, "refusal");
    r.content = "{\"name\": \"Ada\"";
    EXPECT_NE(check_answer(spec, r, true).reason.find("invalid JSON"), std::string::npos);
    r.content = "{\"name\": \"Ada\"}";
    EXPECT_TRUE(check_answer(spec, r, true).accept);
    r.content = "";
    r.tool_calls = json::array({{{"id", "c"}}});
    EXPECT_TRUE(check_answer(spec, r, false).accept) << "a tool call is not an empty answer";
}

TEST(Pii, RedactsAndRestoresEachKind) {
    PiiRedactor r;
    std::string text = "Mail ada@example.com or +44 20 7946 0958, card 4111 1111 1111 1111, IBAN GB33BUKB20201555555555, "
                       "key sk-abcdefghijklmnopqrstuvwx, again ada@example.com. Meeting on 2024-05-01, order 12345.";
    std::string red = r.redact(text);
    for (const char* secret : {"ada@example.com", "7946", "4111", "GB33BUKB", "sk-abcdef"})
        EXPECT_EQ(red.find(secret), std::string::npos) << secret << " leaked: " << red;
    EXPECT_NE(red.find("[EMAIL_1]"), std::string::npos);
    EXPECT_EQ(red.find("[EMAIL_2]"), std::string::npos) << "same value, same placeholder";
    EXPECT_NE(red.find("[CARD_1]"), std::string::npos);
    EXPECT_NE(red.find("[IBAN_1]"), std::string::npos);
    EXPECT_NE(red.find("[SECRET_1]"), std::string::npos);
    EXPECT_NE(red.find("[PHONE_1]"), std::string::npos);
    EXPECT_NE(red.find("2024-05-01"), std::string::npos) << "dates are not PII";
    EXPECT_NE(red.find("12345"), std::string::npos);
    EXPECT_EQ(r.restore(red), text);
    EXPECT_EQ(r.restore("Write to [EMAIL_1]."), "Write to ada@example.com.");
}

TEST(Pii, CardNumbersNeedAValidChecksum) {
    PiiRedactor r;
    EXPECT_EQ(r.redact("ref 1234 5678 9012 3456").find("[CARD"), std::string::npos);
    EXPECT_NE(r.redact("pay with 5555 5555 5555 4444").find("[CARD_1]"), std::string::npos);
}

TEST(CascadeVerifier, ConfigIsValidated) {
    std::string base = "models:\n  - {name: small, file: s.gguf}\n  - {name: emb, file: e.gguf, kind: embedding}\n";
    auto cfg = parse_config(base + "routes:\n  - {name: r, tiers: [{model: small}], cascade: {verifier: {model: small, question: 'Right?'}}}\n", "/c", "r.yaml");
    ASSERT_TRUE(cfg.find_route("r")->cascade.verifier.has_value());
    EXPECT_EQ(cfg.find_route("r")->cascade.verifier->provider, "local");
    EXPECT_EQ(cfg.find_route("r")->cascade.verifier->question, "Right?");
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], cascade: {verifier: {model: tiny}}}\n").find("cascade.verifier.model: unknown local model 'tiny'"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], cascade: {verifier: {model: emb}}}\n").find("embedding model"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], cascade: {verifier: {model: m, provider: gone}}}\n").find("unknown provider 'gone'"), std::string::npos);
    EXPECT_NE(config_error(base + "routes:\n  - {name: r, tiers: [{model: small}], cascade: {verifier: {provider: local}}}\n").find("missing required key 'model'"), std::string::npos);
}

TEST(CascadeVerifier, RequestCarriesConversationAnswerAndSchema) {
    VerifierSpec spec;
    spec.model = "judge";
    json req = {{"model", "auto"}, {"messages", json::array({{{"role", "system"}, {"content", "Be brief."}},
                                                              {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "What is 2+2?"}}})}}})}};
    json v = verifier_request(req, "5", spec);
    EXPECT_EQ(v["model"], "judge");
    std::string prompt = v["messages"][0]["content"];
    EXPECT_NE(prompt.find("system: Be brief."), std::string::npos);
    EXPECT_NE(prompt.find("user: What is 2+2?"), std::string::npos);
    EXPECT_NE(prompt.find("Proposed answer:\n5"), std::string::npos);
    EXPECT_NE(prompt.find(kDefaultVerifierQuestion), std::string::npos);
    EXPECT_EQ(v["response_format"]["json_schema"]["schema"]["properties"]["verdict"]["enum"], json({"yes", "no"}));
    spec.question = "Is it arithmetic?";
    EXPECT_NE(verifier_request(req, "4", spec)["messages"][0]["content"].get<std::string>().find("Is it arithmetic?"), std::string::npos);
}

TEST(CascadeVerifier, ParsesVerdicts) {
    EXPECT_EQ(parse_verdict(R"({"verdict": "yes"})"), std::optional<bool>(true));
    EXPECT_EQ(parse_verdict(R"({ "verdict":"no" })"), std::optional<bool>(false));
    EXPECT_EQ(parse_verdict("Yes, it is correct."), std::optional<bool>(true));
    EXPECT_EQ(parse_verdict("  no."), std::optional<bool>(false));
    EXPECT_EQ(parse_verdict(R"({"verdict": "maybe"})"), std::nullopt);
    EXPECT_EQ(parse_verdict("nothing useful"), std::nullopt);
    EXPECT_EQ(parse_verdict(""), std::nullopt);
}

TEST(RouteConstraints, ParseMatchAndValidate) {
    auto cfg = parse_config(std::string(kRoutes) + R"(
  - name: tight
    tiers: [{name: small, model: small}, {name: large, provider: cloud, model: big}]
    constrain:
      - {name: intent, regex: "classify the intent", choices: [billing, shipping]}
      - {name: date, task: dates, pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", tiers: [small, large]}
      - {name: number, regex: "number only", schema: '{"type": "integer"}'}
)", "/c", "r.yaml");
    const auto& k = cfg.find_route("tight")->constrain;
    ASSERT_EQ(k.size(), 3u);
    EXPECT_EQ(json::parse(k[0].schema), json::parse(R"({"type": "string", "enum": ["billing", "shipping"]})"));
    EXPECT_EQ(json::parse(k[1].schema)["pattern"], "^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
    EXPECT_EQ(json::parse(k[2].schema), json::parse(R"({"type": "integer"})"));
    RoutePolicy policy(*cfg.find_route("tight"));
    auto match = [&](const std::string& tier, const std::string& text, const std::string& task = "") {
        const auto* c = policy.constraint_for(tier, extract_features(chat(text), ""), task);
        return c ? c->spec.name : std::string("(none)");
    };
    EXPECT_EQ(match("small", "Classify the intent of this message: where is my parcel?"), "intent");
    EXPECT_EQ(match("large", "Classify the intent of this message"), "(none)") << "default: the first tier only";
    EXPECT_EQ(match("large", "When?", "dates"), "date");
    EXPECT_EQ(match("small", "Reply with the number only: 2+2"), "number");
    EXPECT_EQ(match("small", "Write a poem"), "(none)");

    std::string base = "models:\n  - {name: small, file: s.gguf}\nroutes:\n  - name: r\n    tiers: [{name: s, model: small}]\n    constrain:\n";
    EXPECT_NE(config_error(base + "      - {name: a, choices: [x]}\n").find("give 'task' and/or 'regex'"), std::string::npos);
    EXPECT_NE(config_error(base + "      - {task: t, choices: [x], pattern: y}\n").find("exactly one of 'choices'"), std::string::npos);
    EXPECT_NE(config_error(base + "      - {task: t}\n").find("exactly one of 'choices'"), std::string::npos);
    EXPECT_NE(config_error(base + "      - {task: t, schema: 'not json'}\n").find("not a JSON object"), std::string::npos);
    EXPECT_NE(config_error(base + "      - {task: t, choices: [x], tiers: [huge]}\n").find("unknown tier 'huge'"), std::string::npos);
    EXPECT_NE(config_error(base + "      - {regex: '(', choices: [x]}\n").find("invalid regular expression"), std::string::npos);
}
