// wire/body_rewrite.h: the client's body text forwarded with only "model" replaced.
#include "wire/body_rewrite.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using switchyard::wire::forward_body;
using switchyard::wire::scan_top_level;
using json = nlohmann::json;

TEST(BodyRewrite, ReplacesOnlyTheTopLevelModel) {
    const std::string valid =
        R"( {"messages":[{"role":"user","content":"model: \"x\", {\"model\":1}","model":"inner"}],)"
        "\n  \"model\" : \"route\" ,\"temperature\":0.70,\"extra\":{\"model\":[true,null,-1.5E+3]}}\n";
    auto out = forward_body(valid, "tier-\"m\"", false);
    ASSERT_TRUE(out.has_value());
    std::string want = valid;
    want.replace(want.find("\"route\""), 7, R"("tier-\"m\"")");
    EXPECT_EQ(*out, want);
    json parsed = json::parse(*out);
    EXPECT_EQ(parsed["model"], "tier-\"m\"");
    EXPECT_EQ(parsed["messages"][0]["model"], "inner");
    EXPECT_EQ(parsed["extra"]["model"][2], -1500.0);
}

TEST(BodyRewrite, AddsIncludeUsageAsTheFirstMember) {
    auto out = forward_body(R"({"model":"a","stream":true})", "b", true);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, R"({"stream_options":{"include_usage":true},"model":"b","stream":true})");
}

TEST(BodyRewrite, GivesUpWhereTheTextCannotBeEditedExactly) {
    EXPECT_FALSE(forward_body(R"({"messages":[]})", "m", false)) << "no model";
    EXPECT_FALSE(forward_body(R"({"model":1})", "m", false)) << "not a string";
    EXPECT_FALSE(forward_body(R"({"model":"a","model":"b"})", "m", false)) << "twice";
    EXPECT_FALSE(forward_body(R"({"mod\u0065l":"a"})", "m", false)) << "escaped key";
    EXPECT_FALSE(forward_body(R"({"model":"a","stream_options":{}})", "m", true)) << "stream_options to edit";
    EXPECT_FALSE(forward_body(R"(["model","a"])", "m", false)) << "not an object";
    EXPECT_FALSE(forward_body(R"({"model":"a"} {})", "m", false)) << "trailing text";
    EXPECT_FALSE(forward_body(R"({"model":"a")", "m", false)) << "truncated";
    EXPECT_FALSE(forward_body("", "m", false));
}

TEST(BodyRewrite, ScanListsTopLevelMembersInOrder) {
    auto m = scan_top_level(R"({"a":{"b":"}"},"c":[1,"]"],"d":-2.5,"e":"x\"y"})");
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->size(), 4u);
    EXPECT_EQ((*m)[0].key, "a");
    EXPECT_EQ((*m)[1].key, "c");
    EXPECT_EQ((*m)[2].key, "d");
    EXPECT_EQ((*m)[3].key, "e");
    EXPECT_TRUE(scan_top_level(" {} ").has_value());
}

}  // namespace
