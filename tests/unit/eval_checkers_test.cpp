// eval/: dataset parsing, every checker, the judge request/verdict, the resume cache.
#include "eval/checkers.h"
#include "eval/dataset.h"
#include "eval/result_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace switchyard::eval;

namespace {

Reference ref(const std::string& checker, json answer) {
    Reference r;
    r.checker = checker;
    r.answer = std::move(answer);
    return r;
}

std::filesystem::path temp_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("eval-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

}  // namespace

TEST(EvalCheckers, ExactIsByteForByte) {
    EXPECT_EQ(check(ref("exact", "Paris"), "Paris").score, 1);
    EXPECT_EQ(check(ref("exact", "Paris"), "paris").score, 0);
    EXPECT_EQ(check(ref("exact", "Paris"), "Paris.").score, 0);
}

TEST(EvalCheckers, NormalizedIgnoresCaseSpacingQuotesAndFinalPunctuation) {
    EXPECT_EQ(normalize("  \"The  Cat\n sat.\" "), "the cat sat");
    EXPECT_EQ(check(ref("normalized", "She doesn't like apples."), "she  doesn't like apples").score, 1);
    EXPECT_EQ(check(ref("normalized", "billing"), "**Billing**").score, 1);
    EXPECT_EQ(check(ref("normalized", "billing"), "billing issue").score, 0);
}

TEST(EvalCheckers, RegexSearchesAnywhere) {
    EXPECT_EQ(check(ref("regex", R"(\b2024-03-05\b)"), "The date is 2024-03-05.").score, 1);
    EXPECT_EQ(check(ref("regex", R"(\b2024-03-05\b)"), "2024-03-15").score, 0);
    EXPECT_EQ(check(ref("regex", "(?i)^yes"), "Yes, it is").score, 1);
    EXPECT_EQ(check(ref("regex", "(unclosed"), "x").score, 0);  // a broken pattern fails, never throws
}

TEST(EvalCheckers, NumbersAreFoundWithSeparatorsSignsAndExponents) {
    EXPECT_EQ(numbers_in("1,234.5 and -3 then 2.5e3 eggs, 7 5"), (std::vector<double>{1234.5, -3, 2500, 7, 5}));
    EXPECT_EQ(numbers_in("3, 4 and 12,34"), (std::vector<double>{3, 4, 12, 34}));
    EXPECT_EQ(numbers_in("item-5 costs 5e"), (std::vector<double>{5, 5}));
    EXPECT_TRUE(numbers_in("no digits").empty());
}

TEST(EvalCheckers, NumericWithToleranceAndPick) {
    Reference r = ref("numeric", 42);
    EXPECT_EQ(check(r, "The answer is 42.").score, 1);
    EXPECT_EQ(check(r, "41.9").score, 0);
    r.tolerance = 0.1;
    EXPECT_EQ(check(r, "41.95").score, 1);
    EXPECT_EQ(check(r, "no number").score, 0);
    r.tolerance = 0;
    EXPECT_EQ(check(r, "6 times 7 is 42").score, 0);  // first number by default
    r.pick = "last";
    EXPECT_EQ(check(r, "6 times 7 is 42").score, 1);
    r.pick = "any";
    EXPECT_EQ(check(r, "7, 42, 9").score, 1);
}

TEST(EvalCheckers, JsonFieldsGivePartialCreditAndWalkPaths) {
    Reference r = ref("json_fields", {{"name", "Ada Lovelace"}, {"year", 1815}, {"address.city", "London"}});
    EXPECT_EQ(check(r, R"({"name":"ada lovelace","year":1815,"address":{"city":"London"}})").score, 1);
    EXPECT_NEAR(check(r, R"(Here: {"name":"Ada Lovelace","year":"1815","address":{"city":"Paris"}} done)").score, 2.0 / 3, 1e-9);
    EXPECT_EQ(check(r, "not json").score, 0);
    EXPECT_EQ(check(ref("json_fields", {{"tags", {"a", "b"}}}), R"({"tags":["A","b"]})").score, 1);
    EXPECT_EQ(check(ref("json_fields", {{"items.1", "b"}}), R"({"items":["a","b"]})").score, 1);
    EXPECT_TRUE(json_in("[1, 2]").has_value());
}

TEST(EvalCheckers, ContainsAllNeedsEveryItem) {
    Reference r = ref("contains_all", {"Oslo", "3 June"});
    EXPECT_EQ(check(r, "The summit in oslo opens on 3 June.").score, 1);
    auto miss = check(r, "The summit opens on 3 June.");
    EXPECT_EQ(miss.score, 0);
    EXPECT_NE(miss.detail.find("oslo"), std::string::npos);
}

TEST(EvalCheckers, JudgeIsGradedByAModel) {
    EXPECT_THROW(check(ref("judge", "x"), "y"), std::logic_error);
    EvalCase c = parse_case(json::parse(R"({"id":"j1","prompt":"Name a prime.","reference":{"checker":"judge","model":"large","rubric":"a prime number"}})"), "t");
    json req = judge_request(c, "7");
    EXPECT_EQ(req["model"], "large");
    const std::string ask = req["messages"][0]["content"];
    EXPECT_NE(ask.find("Name a prime."), std::string::npos);
    EXPECT_NE(ask.find("a prime number"), std::string::npos);
    EXPECT_EQ(req["response_format"]["type"], "json_schema");
    EXPECT_EQ(parse_verdict(R"({"verdict":"PASS"})"), 1.0);
    EXPECT_EQ(parse_verdict("fail"), 0.0);
    EXPECT_EQ(parse_verdict("Score: 5"), 1.0);
    EXPECT_EQ(parse_verdict("score 3"), 0.5);
    EXPECT_FALSE(parse_verdict("maybe").has_value());
}

TEST(EvalDataset, ParsesPromptsMessagesAndRejectsBadLines) {
    EvalCase c = parse_case(json::parse(R"({"id":"a","class":"arithmetic","prompt":"2+2?","system":"Be brief.",
        "request":{"max_tokens":8},"reference":{"checker":"numeric","answer":4,"tolerance":0.5}})"), "f:1");
    EXPECT_EQ(c.task_class, "arithmetic");
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[1]["content"], "2+2?");
    EXPECT_EQ(c.request["max_tokens"], 8);
    EXPECT_EQ(c.reference.tolerance, 0.5);
    EXPECT_EQ(prompt_text(c), "2+2?");
    EXPECT_EQ(parse_case(json::parse(R"({"id":"b","prompt":"x","reference":{"checker":"normalised","answer":"y"}})"), "f").reference.checker, "normalized");
    auto bad = [](const char* text) {
        try { parse_case(json::parse(text), "f:9"); } catch (const DatasetError& e) { return std::string(e.what()); }
        return std::string();
    };
    EXPECT_NE(bad(R"({"prompt":"x","reference":{"checker":"exact","answer":"y"}})").find("f:9: missing 'id'"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"a","prompt":"x","reference":{"checker":"fuzzy","answer":"y"}})").find("unknown checker 'fuzzy'"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"a","prompt":"x","reference":{"checker":"numeric","answer":"4"}})").find("number"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"a","prompt":"x","reference":{"checker":"judge"}})").find("model"), std::string::npos);
    EXPECT_NE(bad(R"({"id":"a","reference":{"checker":"exact","answer":"y"}})").find("prompt"), std::string::npos);
}

TEST(EvalDataset, RoundTripsThroughAFileAndRejectsDuplicateIds) {
    auto dir = temp_dir("dataset");
    EvalCase c = parse_case(json::parse(R"({"id":"a","class":"x","prompt":"p","reference":{"checker":"contains_all","answer":["q"]}})"), "f");
    write_dataset(dir / "d.jsonl", {c});
    auto back = read_dataset(dir / "d.jsonl");
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(case_to_json(back[0]), case_to_json(c));
    write_dataset(dir / "dup.jsonl", {c, c});
    EXPECT_THROW(read_dataset(dir / "dup.jsonl"), DatasetError);
    std::filesystem::remove_all(dir);
}

TEST(EvalResultCache, PersistsAcrossInstancesAndIgnoresATornLine) {
    auto dir = temp_dir("cache");
    json req = {{"model", "eval:small"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"seed", 7}};
    const std::string k = ResultCache::key("model:gemma@x.gguf|t=1", req);
    EXPECT_EQ(k.size(), 32u);
    json other = req;
    other["model"] = "eval:renamed";  // the route name is internal: same target, same key
    EXPECT_EQ(ResultCache::key("model:gemma@x.gguf|t=1", other), k);
    EXPECT_NE(ResultCache::key("model:gemma@x.gguf|t=0", req), k);
    other["seed"] = 8;
    EXPECT_NE(ResultCache::key("model:gemma@x.gguf|t=1", other), k);
    {
        ResultCache cache(dir);
        EXPECT_FALSE(cache.get(k));
        cache.put(k, {{"answer", "hello"}});
    }
    { std::ofstream(dir / "results.jsonl", std::ios::app) << "{\"key\": \"torn"; }
    ResultCache again(dir);
    EXPECT_EQ(again.size(), 1u);
    ASSERT_TRUE(again.get(k));
    EXPECT_EQ((*again.get(k))["answer"], "hello");
    EXPECT_EQ(stable_hash(""), "cbf29ce484222325");  // FNV-1a 64 offset basis: the hash is the documented one
    std::filesystem::remove_all(dir);
}
