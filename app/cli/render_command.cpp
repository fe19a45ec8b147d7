// flatland-cli render: figures of runs and analyses (or of demo data) as PNG, PDF or SVG files,
// through flatland_render's offscreen path. Which figures fit which analysis is decided in
// app/figures/project_figures.h, shared with the GUI.
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/render/export_figure.h"
#include "flatland/render/synthetic_figures.h"
#include "flatland/training/project_schema.h"
#include "project_figures.h"

namespace flatland::cli {
namespace {

struct RenderSettings {
  std::string project;
  std::vector<std::string> analyses;
  std::vector<std::string> runs;
  std::string synthetic;
  std::vector<std::string> views;
  std::vector<std::string> outputs;
  render::ExportOptions image;
  std::string colorMap;  // empty: the figure's own
  bool logScale = false;
  double clipMax = std::nan("");
};

using Views = std::vector<app::NamedFigure>;

// The landscape options of the command line, applied to every view that has a colour scale.
void applyScale(render::Figure& figure, const RenderSettings& s) {
  const auto adjust = [&](auto& f) {
    if (!s.colorMap.empty()) f.colorMap = render::parseColorMap(s.colorMap);
    if (s.logScale) f.scale.logScale = true;
    if (std::isfinite(s.clipMax)) f.scale.clipMax = s.clipMax;
  };
  if (auto* f = std::get_if<render::SurfaceFigure>(&figure)) adjust(*f);
  if (auto* f = std::get_if<render::ContourMapFigure>(&figure)) adjust(f->surface);
  if (auto* f = std::get_if<render::VolumeFigure>(&figure)) adjust(*f);
  if (auto* f = std::get_if<render::ComparisonFigure>(&figure))
    for (auto& panel : f->panels) adjust(panel);
}

Views projectViews(const RenderSettings& s) {
  const auto project = training::ProjectFile::open(s.project);
  const bool several = s.analyses.size() + s.runs.size() > 1;
  Views views;
  const auto add = [&](const std::string& owner, Views figures) {
    for (auto& figure : figures) {
      if (several) figure.name = owner + "-" + figure.name;
      views.push_back(std::move(figure));
    }
  };
  for (const std::string& name : s.analyses) {
    if (project.exists(schema::analysisPath(name))) {
      const auto node = project.read(schema::analysisPath(name), false);
      if (node.has(schema::kComplete) && node.number(schema::kComplete) == 0.0)
        std::cerr << "flatland-cli: note: analysis '" << name
                  << "' is incomplete; drawing what is saved\n";
    }
    add(name, app::figuresForAnalysis(project, name));
  }
  for (const std::string& name : s.runs) add(name, app::figuresForRun(project, name));
  if (s.runs.size() > 1)
    for (auto& figure : app::runComparisonFigures(project, s.runs)) views.push_back(figure);
  if (s.analyses.size() > 1) {
    try {
      for (auto& figure : app::comparisonFigures(project, s.analyses)) views.push_back(figure);
    } catch (const InvalidArgument& e) {
      std::cerr << "flatland-cli: note: no comparison: " << e.what() << "\n";
    }
  }
  return views;
}

// A view matches a wanted name exactly or as its suffix after an analysis prefix ("a-surface").
bool matches(const std::string& view, const std::string& wanted) {
  if (view == wanted) return true;
  return view.size() > wanted.size() &&
         view.compare(view.size() - wanted.size(), wanted.size(), wanted) == 0 &&
         view[view.size() - wanted.size() - 1] == '-';
}

// FILE.ext, or FILE-VIEW.ext when several views are written.
std::string outputName(const std::string& pattern, const std::string& view, bool several) {
  if (!several) return pattern;
  const std::filesystem::path path(pattern);
  return (path.parent_path() / (path.stem().string() + "-" + view + path.extension().string()))
      .string();
}

}  // namespace

Command addRenderCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "render", "draw figures of runs and analyses (or demo data) to PNG, PDF or SVG files");
  auto settings = std::make_shared<RenderSettings>();
  cmd->add_option("--project", settings->project, "project file (.h5)");
  cmd->add_option("--analysis", settings->analyses,
                  "analysis to draw; repeat to also compare them (surfaces side by side on one "
                  "colour scale, densities overlaid)");
  cmd->add_option("--run", settings->runs,
                  "training run whose metrics to draw against epochs; repeat to also compare their "
                  "test accuracy and loss curves");
  cmd->add_option("--synthetic", settings->synthetic, "demo data instead of a project")
      ->check(CLI::IsMember(render::syntheticViews()));
  cmd->add_option("--view", settings->views,
                  "only these views (e.g. surface, contour, density, comparison); default: all "
                  "that fit the analysis");
  cmd->add_option("--out", settings->outputs,
                  "output file; the extension picks PNG, PDF or SVG; repeat for several formats. "
                  "With several views, FILE-VIEW.ext is written for each")
      ->required();
  cmd->add_option("--width", settings->image.width, "width in pixels at --dpi")
      ->capture_default_str();
  cmd->add_option("--height", settings->image.height, "height in pixels at --dpi")
      ->capture_default_str();
  cmd->add_option("--dpi", settings->image.dpi,
                  "dots per inch; a PDF/SVG page is width/dpi by height/dpi inches")
      ->capture_default_str();
  cmd->add_flag("--transparent", settings->image.transparent, "no background");
  cmd->add_option("--colormap", settings->colorMap, "viridis, magma, plasma, coolwarm or gray");
  cmd->add_flag("--log", settings->logScale, "log10 of the loss on surfaces and volumes");
  cmd->add_option("--clip", settings->clipMax, "draw losses above this value at this value");
  return {
      cmd, [settings, &global] {
        const RenderSettings& s = *settings;
        Views views;
        if (!s.synthetic.empty()) {
          if (!s.project.empty() || !s.analyses.empty() || !s.runs.empty())
            throw InvalidArgument("give either --synthetic or --project, not both");
          views.push_back({s.synthetic, render::syntheticFigure(s.synthetic)});
        } else {
          if (s.project.empty() || (s.analyses.empty() && s.runs.empty()))
            throw InvalidArgument(
                "render needs --project with --analysis or --run, or --synthetic VIEW");
          views = projectViews(s);
        }
        if (!s.views.empty()) {
          Views chosen;
          for (auto& view : views)
            for (const std::string& wanted : s.views)
              if (matches(view.name, wanted)) {
                chosen.push_back(view);
                break;
              }
          if (chosen.empty()) {
            std::string available;
            for (auto& view : views) available += " " + view.name;
            throw InvalidArgument("none of the requested views is here; available:" + available);
          }
          views = std::move(chosen);
        }
        for (const std::string& out : s.outputs) render::formatFromPath(out);  // fail early
        nlohmann::json files = nlohmann::json::array();
        for (auto& view : views) {
          applyScale(view.figure, s);
          for (const std::string& out : s.outputs) {
            const std::string file = outputName(out, view.name, views.size() > 1);
            render::exportFigure(view.figure, file, s.image);
            files.push_back({{"view", view.name}, {"file", file}});
            if (!global.json) std::cout << "wrote " << file << "\n";
          }
        }
        if (global.json) printJson({{"files", files}});
      }};
}

}  // namespace flatland::cli
