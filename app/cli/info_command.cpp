// flatland-cli info PROJECT.h5: the runs and analyses in a project file with their key numbers.
#include <iostream>

#include "cli_context.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"

namespace flatland::cli {

namespace {

using training::AttributeValue;
using training::Attributes;

nlohmann::json toJson(const AttributeValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

std::string toText(const AttributeValue& value) {
  if (auto* s = std::get_if<std::string>(&value)) return *s;
  if (auto* d = std::get_if<double>(&value)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", *d);
    return buf;
  }
  if (auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return toJson(value).dump();
}

// The attributes shown in the one-line summary of a run or analysis, when present.
const std::vector<std::string> kSummaryKeys = {
    schema::kKind,      schema::kStatus,    schema::kModel,      schema::kData,
    schema::kOptimizer, schema::kEpochsDone, schema::kFinalTestAccuracy, schema::kLambdaMax,
    schema::kLambdaMin, schema::kTrace,     schema::kGrid,       schema::kComplete};

}  // namespace

Command addInfoCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("info", "list the runs and analyses in a project file");
  auto path = std::make_shared<std::string>();
  cmd->add_option("project", *path, "project file (.h5)")->required();
  return {cmd, [path, &global] {
            auto project = training::ProjectFile::open(*path);
            auto root = project.read("/", false);
            nlohmann::json doc;
            doc["project"] = *path;
            for (auto& [key, value] : root.attributes) doc["attributes"][key] = toJson(value);
            for (const char* section : {"runs", "analyses"}) {
              doc[section] = nlohmann::json::array();
              for (auto& name : project.list(std::string("/") + section)) {
                auto node = project.read(std::string("/") + section + "/" + name, false);
                nlohmann::json entry;
                entry["name"] = name;
                for (auto& [key, value] : node.attributes) entry[key] = toJson(value);
                doc[section].push_back(entry);
              }
            }
            if (global.json) return printJson(doc);

            std::cout << *path << "  (" << toText(root.attributes["format"]) << " v"
                      << toText(root.attributes["version"]) << ")\n";
            for (const char* section : {"runs", "analyses"}) {
              auto names = project.list(std::string("/") + section);
              std::cout << "\n" << section << ": " << names.size() << "\n";
              for (auto& name : names) {
                auto node = project.read(std::string("/") + section + "/" + name, false);
                std::cout << "  " << name;
                for (auto& key : kSummaryKeys) {
                  auto it = node.attributes.find(key);
                  if (it != node.attributes.end()) std::cout << "  " << key << "=" << toText(it->second);
                }
                std::cout << "\n";
              }
            }
          }};
}

}  // namespace flatland::cli
