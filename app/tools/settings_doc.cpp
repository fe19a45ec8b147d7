// Writes docs/settings.md from the settings tables: `flatland_settings_doc > docs/settings.md`.
// The test Docs.SettingsUpToDate fails when the committed file differs from what this prints.
#include <iostream>

#include "flatland/training/train_settings.h"
#include "job_settings.h"

int main() {
  using namespace flatland;
  std::cout
      << "# Settings\n\n"
         "Generated from the settings tables (`training/src/train_settings.cpp`,\n"
         "`app/jobs/job_settings.cpp`) by `flatland_settings_doc`; do not edit by hand.\n"
         "Each setting is a `flatland-cli` option, a widget of the GUI form of the same\n"
         "name (unless marked CLI only) and a key of the `settings` JSON stored with the\n"
         "run or analysis (the option without `--`, with `_` for `-`).\n\n"
         "## flatland-cli train\n\n"
      << settings::markdown(training::trainSettings())
      << "| `--out` | text |  |  | project file (created when missing) (CLI only) (required) |\n"
      << "\n## flatland-cli hessian\n\n"
      << settings::markdown(app::hessianSettings()) << "\n## flatland-cli surface\n\n"
      << settings::markdown(app::surfaceSettings()) << "\n## flatland-cli quantize\n\n"
      << settings::markdown(app::quantizeSettings()) << "\n## flatland-cli robustness\n\n"
      << settings::markdown(app::robustnessSettings()) << "\n## flatland-cli sharpness\n\n"
      << settings::markdown(app::sharpnessSettings()) << "\n## flatland-cli rescale\n\n"
      << settings::markdown(app::rescaleSettings()) << "\n## flatland-cli connect\n\n"
      << settings::markdown(app::connectSettings());
  return 0;
}
