#include "wire/sse.h"

#include <gtest/gtest.h>

using namespace switchyard::wire;

TEST(Sse, SingleLineEvent) { EXPECT_EQ(sse_event(R"({"a":1})"), "data: {\"a\":1}\n\n"); }

TEST(Sse, MultiLinePayloadGetsOneDataLinePerLine) {
    EXPECT_EQ(sse_event("one\ntwo"), "data: one\ndata: two\n\n");
    EXPECT_EQ(sse_event("end\n"), "data: end\ndata: \n\n");
}

TEST(Sse, Done) { EXPECT_EQ(sse_done(), "data: [DONE]\n\n"); }

TEST(Sse, EmptyPayload) { EXPECT_EQ(sse_event(""), "data: \n\n"); }
