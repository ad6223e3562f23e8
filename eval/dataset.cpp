#include "eval/dataset.h"

#include <fstream>
#include <set>

namespace switchyard::eval {

const std::vector<std::string>& checker_names() {
    static const std::vector<std::string> names = {"exact", "normalized", "regex", "numeric", "json_fields",
                                                   "contains_all", "judge"};
    return names;
}

namespace {

void require(bool ok, const std::string& where, const std::string& what) {
    if (!ok) throw DatasetError(where + ": " + what);
}

Reference parse_reference(const json& r, const std::string& where) {
    require(r.is_object(), where, "'reference' must be an object {\"checker\", \"answer\", ...}");
    Reference ref;
    ref.checker = r.value("checker", "");
    if (ref.checker == "normalised") ref.checker = "normalized";  // both spellings are natural
    bool known = false;
    for (const auto& n : checker_names()) known = known || n == ref.checker;
    require(known, where, "unknown checker '" + ref.checker + "'");
    ref.answer = r.value("answer", json());
    ref.tolerance = r.value("tolerance", 0.0);
    ref.pick = r.value("pick", "first");
    ref.judge_model = r.value("model", "");
    ref.rubric = r.value("rubric", "");
    const json& a = ref.answer;
    if (ref.checker == "exact" || ref.checker == "normalized" || ref.checker == "regex")
        require(a.is_string(), where, ref.checker + " needs a string answer");
    else if (ref.checker == "numeric") require(a.is_number(), where, "numeric needs a number answer");
    else if (ref.checker == "json_fields") require(a.is_object() && !a.empty(), where, "json_fields needs an object of expected fields");
    else if (ref.checker == "contains_all") require(a.is_array() && !a.empty(), where, "contains_all needs a list of strings");
    else if (ref.checker == "judge") require(!ref.judge_model.empty(), where, "judge needs 'model' (the grading model or route)");
    require(ref.pick == "first" || ref.pick == "last" || ref.pick == "any", where, "pick must be first, last or any");
    require(ref.tolerance >= 0, where, "tolerance must be >= 0");
    return ref;
}

}  // namespace

EvalCase parse_case(const json& line, const std::string& where) {
    require(line.is_object(), where, "each line must be a JSON object");
    EvalCase c;
    c.id = line.value("id", "");
    require(!c.id.empty(), where, "missing 'id'");
    c.task_class = line.value("class", line.value("task_class", "default"));
    if (line.contains("messages")) {
        c.messages = line["messages"];
        require(c.messages.is_array() && !c.messages.empty(), where, "'messages' must be a non-empty array");
    } else {
        require(line.contains("prompt") && line["prompt"].is_string(), where, "needs 'prompt' (string) or 'messages'");
        if (line.contains("system")) c.messages.push_back({{"role", "system"}, {"content", line["system"]}});
        c.messages.push_back({{"role", "user"}, {"content", line["prompt"]}});
    }
    if (line.contains("request")) {
        c.request = line["request"];
        require(c.request.is_object(), where, "'request' must be an object");
    }
    require(line.contains("reference"), where, "missing 'reference'");
    c.reference = parse_reference(line["reference"], where);
    return c;
}

json case_to_json(const EvalCase& c) {
    json r = {{"checker", c.reference.checker}, {"answer", c.reference.answer}};
    if (c.reference.tolerance > 0) r["tolerance"] = c.reference.tolerance;
    if (c.reference.pick != "first") r["pick"] = c.reference.pick;
    if (!c.reference.judge_model.empty()) r["model"] = c.reference.judge_model;
    if (!c.reference.rubric.empty()) r["rubric"] = c.reference.rubric;
    json j = {{"id", c.id}, {"class", c.task_class}, {"messages", c.messages}, {"reference", r}};
    if (!c.request.empty()) j["request"] = c.request;
    return j;
}

std::vector<EvalCase> read_dataset(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw DatasetError("cannot read dataset " + file.string());
    std::vector<EvalCase> cases;
    std::set<std::string> ids;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = file.string() + ":" + std::to_string(n);
        json j = json::parse(line, nullptr, false);
        require(!j.is_discarded(), where, "not valid JSON");
        cases.push_back(parse_case(j, where));
        require(ids.insert(cases.back().id).second, where, "duplicate id '" + cases.back().id + "'");
    }
    return cases;
}

void write_dataset(const std::filesystem::path& file, const std::vector<EvalCase>& cases) {
    std::ofstream out(file);
    if (!out) throw DatasetError("cannot write " + file.string());
    for (const auto& c : cases) out << case_to_json(c).dump() << "\n";
}

std::string prompt_text(const EvalCase& c) {
    std::string text;
    for (const auto& m : c.messages) {
        if (m.value("role", "") != "user" || !m.contains("content") || !m["content"].is_string()) continue;
        if (!text.empty()) text += "\n";
        text += m["content"].get<std::string>();
    }
    return text;
}

}  // namespace switchyard::eval
