// The built-in node types, one factory per file in this folder. builtin_nodes() registers them.
#pragma once

#include "pipeline/node_type.h"

#include <vector>

namespace switchyard::pipeline::nodes {

NodeType template_node();
NodeType llm_node();
NodeType extract_node();
NodeType classify_node();
NodeType embed_node();
NodeType chunk_node();
NodeType switch_node();
NodeType index_node();
NodeType retrieve_node();
NodeType http_node();
NodeType files_node();
NodeType page_chunks_node();
NodeType spelling_node();
#ifdef SWITCHYARD_PIPELINE_OCR
NodeType ocr_node();
#endif
#ifdef SWITCHYARD_PIPELINE_PDF
NodeType pdf_node();
#endif

std::vector<NodeType> all_builtin_node_types();

// chunk's splitting, exposed for tests: by "words" or "sentences", overlap < size.
std::vector<std::string> chunk_text(const std::string& text, const std::string& by, std::size_t size, std::size_t overlap);

}  // namespace switchyard::pipeline::nodes
