#include "pipeline/nodes/nodes.h"

namespace switchyard::pipeline::nodes {

std::vector<NodeType> all_builtin_node_types() {
    std::vector<NodeType> types{template_node(), llm_node(), extract_node(), classify_node(), embed_node(),
                                chunk_node(), switch_node(), index_node(), retrieve_node(), http_node(),
                                files_node(), page_chunks_node(), spelling_node()};
#ifdef SWITCHYARD_PIPELINE_OCR
    types.push_back(ocr_node());
#endif
#ifdef SWITCHYARD_PIPELINE_PDF
    types.push_back(pdf_node());
#endif
    return types;
}

}  // namespace switchyard::pipeline::nodes
