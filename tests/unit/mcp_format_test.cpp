// wire/mcp_format: JSON-RPC classification, version negotiation and pipelines as MCP tools.
#include "wire/mcp_format.h"

#include <gtest/gtest.h>

using namespace switchyard::wire;
using json = nlohmann::json;

TEST(McpFormat, Classify) {
    EXPECT_EQ(classify_mcp_message({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}}), McpMessageKind::request);
    EXPECT_EQ(classify_mcp_message({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}), McpMessageKind::notification);
    EXPECT_EQ(classify_mcp_message({{"jsonrpc", "2.0"}, {"id", "a"}, {"result", json::object()}}), McpMessageKind::response);
    EXPECT_EQ(classify_mcp_message({{"id", 1}, {"method", "x"}}), McpMessageKind::invalid);               // no jsonrpc
    EXPECT_EQ(classify_mcp_message({{"jsonrpc", "2.0"}, {"id", nullptr}, {"method", "x"}}), McpMessageKind::invalid);
    EXPECT_EQ(classify_mcp_message({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "x"}, {"params", 3}}), McpMessageKind::invalid);
    EXPECT_EQ(classify_mcp_message(json::array()), McpMessageKind::invalid);
}

TEST(McpFormat, Versions) {
    EXPECT_EQ(negotiate_protocol_version("2025-06-18"), "2025-06-18");
    EXPECT_EQ(negotiate_protocol_version("2024-11-05"), "2024-11-05");
    EXPECT_EQ(negotiate_protocol_version("2099-01-01"), "2025-11-25");
    EXPECT_FALSE(supported_protocol_version("1.0"));
}

TEST(McpFormat, PipelineTool) {
    json d = {{"id", "ocr-rag"}, {"description", "Answers from documents"}, {"outputs", {"answer", "citation"}},
              {"inputs", {{"folder", {{"type", "text"}, {"required", true}}}, {"k", {{"type", "json"}, {"required", false}, {"default", 3}}},
                          {"tags", {{"type", "list<text>"}, {"required", false}, {"default", json::array()}}}}}};
    json t = pipeline_tool(d);
    EXPECT_EQ(t["name"], "ocr-rag");
    EXPECT_EQ(t["description"], "Answers from documents (outputs: answer, citation)");
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_EQ(t["inputSchema"]["properties"]["folder"], (json{{"type", "string"}}));
    EXPECT_EQ(t["inputSchema"]["properties"]["k"], (json{{"default", 3}}));
    EXPECT_EQ(t["inputSchema"]["properties"]["tags"]["items"], (json{{"type", "string"}}));
    EXPECT_EQ(t["inputSchema"]["required"], json::array({"folder"}));
}

TEST(McpFormat, CallResults) {
    json ok = pipeline_call_result({{"ok", true}, {"outputs", {{"reply", "Dear ..."}}}});
    EXPECT_EQ(ok["isError"], false);
    EXPECT_EQ(ok["content"][0]["text"], "Dear ...");
    EXPECT_EQ(ok["structuredContent"]["reply"], "Dear ...");
    json two = pipeline_call_result({{"ok", true}, {"outputs", {{"a", 1}, {"b", "x"}}}});
    EXPECT_EQ(json::parse(two["content"][0]["text"].get<std::string>()), (json{{"a", 1}, {"b", "x"}}));
    json bad = pipeline_call_result({{"ok", false}, {"error", "node 'ocr' failed"}});
    EXPECT_EQ(bad["isError"], true);
    EXPECT_EQ(bad["content"][0]["text"], "Pipeline failed: node 'ocr' failed");
    EXPECT_EQ(jsonrpc_error(7, -32601, "nope"), (json{{"jsonrpc", "2.0"}, {"id", 7}, {"error", {{"code", -32601}, {"message", "nope"}}}}));
}
