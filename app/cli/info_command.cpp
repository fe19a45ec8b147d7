// flatland-cli info PROJECT.h5: the runs and analyses in a project file with their key numbers.
#include <iostream>
#include <map>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"

namespace flatland::cli {

namespace {

using training::Attributes;
using training::AttributeValue;

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
const std::vector<std::string> kSummaryKeys = {schema::kKind,
                                               schema::kStatus,
                                               schema::kModel,
                                               schema::kData,
                                               schema::kOptimizer,
                                               schema::kEpochsDone,
                                               schema::kFinalTestAccuracy,
                                               schema::kLambdaMax,
                                               schema::kLambdaMin,
                                               schema::kTrace,
                                               schema::kPacBayesSigma,
                                               schema::kGapAccuracy,
                                               schema::kCleanAccuracy,
                                               schema::kRescaledFrom,
                                               schema::kGrid,
                                               schema::kComplete};

}  // namespace

Command addInfoCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("info", "list the runs and analyses in a project file");
  auto path = std::make_shared<std::string>();
  cmd->add_option("project", *path, "project file (.h5)")->required();
  return {
      cmd, [path, &global] {
        auto project = training::ProjectFile::open(*path);
        auto root = project.read("/", false);
        // Each section's entries; what is not a readable group (a stray dataset, a damaged
        // entry) is skipped with the reason rather than failing the whole listing.
        struct Entry {
          std::string name;
          training::Node node;
        };
        struct Section {
          std::vector<Entry> entries;
          std::vector<std::pair<std::string, std::string>> skipped;  // name, why
        };
        std::map<std::string, Section> sections;
        for (const char* name : {schema::kRuns, schema::kAnalyses}) {
          const std::string sectionPath = std::string("/") + name;
          auto& section = sections[name];
          if (!project.exists(sectionPath)) continue;
          auto listing = project.read(sectionPath, false);
          for (auto& [child, unused] : listing.groups) {
            try {
              section.entries.push_back({child, project.read(sectionPath + "/" + child, false)});
            } catch (const Error& e) {
              section.skipped.emplace_back(child, e.what());
            }
          }
          for (auto& [child, unused] : listing.datasets)
            section.skipped.emplace_back(child, "a dataset, not a group: not written by Flatland");
        }
        nlohmann::json doc;
        doc["project"] = *path;
        for (auto& [key, value] : root.attributes) doc["attributes"][key] = toJson(value);
        for (const char* name : {schema::kRuns, schema::kAnalyses}) {
          const auto& section = sections[name];
          doc[name] = nlohmann::json::array();
          for (const auto& entry : section.entries) {
            nlohmann::json item;
            item["name"] = entry.name;
            for (auto& [key, value] : entry.node.attributes) item[key] = toJson(value);
            doc[name].push_back(item);
          }
          for (const auto& [child, why] : section.skipped)
            doc["skipped"].push_back(
                {{"path", std::string("/") + name + "/" + child}, {"reason", why}});
        }
        if (global.json) return printJson(doc);

        std::cout << *path << "  (" << toText(root.attributes[schema::kFormat]) << " v"
                  << toText(root.attributes[schema::kVersion])
                  << (project.layout() == training::ProjectLayout::Split
                          ? ", an index and its folder"
                          : ", one file")
                  << ")\n";
        for (const char* name : {schema::kRuns, schema::kAnalyses}) {
          const auto& section = sections[name];
          std::cout << "\n" << name << ": " << section.entries.size() << "\n";
          for (const auto& entry : section.entries) {
            std::cout << "  " << entry.name;
            for (auto& key : kSummaryKeys) {
              auto it = entry.node.attributes.find(key);
              if (it != entry.node.attributes.end())
                std::cout << "  " << key << "=" << toText(it->second);
            }
            std::cout << "\n";
          }
          for (const auto& [child, why] : section.skipped)
            std::cout << "  " << child << "  (skipped: " << why << ")\n";
        }
      }};
}

}  // namespace flatland::cli
