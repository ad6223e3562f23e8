#include "engine/chat_format.h"
#include "engine/generic_tools.h"

#include <gtest/gtest.h>

using namespace switchyard;

namespace {
std::vector<ToolDefinition> tools() {
    return {{"get_weather", "Weather for a city", R"({"type":"object","properties":{"city":{"type":"string"}}})"},
            {"get_time", "", R"({"type":"object"})"}};
}
}  // namespace

TEST(GenericTools, ParsesAJsonCallOfAKnownTool) {
    auto call = parse_generic_tool_call(R"( {"name": "get_weather", "arguments": {"city": "Paris"}} )", tools());
    ASSERT_TRUE(call);
    EXPECT_EQ(call->name, "get_weather");
    EXPECT_EQ(call->arguments, R"({"city":"Paris"})");
    EXPECT_EQ(call->id.rfind("call_", 0), 0u);
}

TEST(GenericTools, RejectsProseUnknownToolsAndBrokenJson) {
    EXPECT_FALSE(parse_generic_tool_call("It is sunny.", tools()));
    EXPECT_FALSE(parse_generic_tool_call(R"({"name": "launch_missiles", "arguments": {}})", tools()));
    EXPECT_FALSE(parse_generic_tool_call(R"({"name": "get_time", "arguments": )", tools()));
}

TEST(GenericTools, SchemaOffersEachToolByName) {
    auto schema = tool_call_schema(tools());
    EXPECT_NE(schema.find(R"("const":"get_weather")"), std::string::npos) << schema;
    EXPECT_NE(schema.find(R"("const":"get_time")"), std::string::npos) << schema;
    EXPECT_EQ(schema.rfind(R"({"anyOf":[)", 0), 0u);
}

TEST(GenericTools, InstructionsGoIntoTheSystemMessage) {
    ChatInput in;
    in.messages = {{"system", "Be brief.", {}, {}, {}}, {"user", "Weather?", {}, {}, {}}};
    in.tools = tools();
    auto out = with_tool_instructions(in);
    EXPECT_TRUE(out.tools.empty());
    ASSERT_EQ(out.messages.size(), 2u);
    EXPECT_EQ(out.messages[0].content.rfind("Be brief.", 0), 0u);
    EXPECT_NE(out.messages[0].content.find("get_weather"), std::string::npos);
    in.messages.erase(in.messages.begin());
    EXPECT_EQ(with_tool_instructions(in).messages.front().role, "system");
}

TEST(JsonSchemaGrammar, WhitespaceIsOneOptionalSpace) {
    std::string g = switchyard::grammar_for_json_schema(R"({"type":"object","properties":{"verdict":{"type":"string","enum":["yes","no"]}},"required":["verdict"]})");
    EXPECT_NE(g.find("space ::= | \" \""), std::string::npos) << g;
    EXPECT_EQ(g.find("[ \\t]{0,20}"), std::string::npos) << "no runs of newlines and tabs for small models to get lost in:\n" << g;
    EXPECT_NE(g.find("verdict"), std::string::npos);
}
