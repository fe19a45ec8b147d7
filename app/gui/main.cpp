// flatland: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>

#include "flatland/render/vtk_landscape_widget.h"
#include "flatland/training/host_memory.h"
#include "main_window.h"
#include "project_browser.h"
#include "window_capture.h"

int main(int argc, char** argv) {
  flatland::training::keepFreedHostMemory();  // before any thread starts; jobs release it after
  // VTK needs an OpenGL 3.2 core context; the format must be the default before the app exists.
  flatland::render::VtkLandscapeWidget::setDefaultSurfaceFormat();

  QApplication app(argc, argv);
  QApplication::setApplicationName("Flatland");
  QApplication::setOrganizationName("Flatland");
  QApplication::setApplicationVersion(FLATLAND_VERSION_STRING);

  QCommandLineParser parser;
  parser.setApplicationDescription("Loss landscapes of neural networks.");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("project", "project file to open (created when missing)");
  QCommandLineOption open(
      "open", "open the views of ENTRY (runs/NAME or analyses/NAME); repeatable", "entry");
  QCommandLineOption compare(
      "compare",
      "compare entries (comma-separated: analysis NAMEs, or runs/NAME for training runs)", "names");
  QCommandLineOption screenshot("screenshot", "save a screenshot of the window to FILE and quit",
                                "file");
  QCommandLineOption size("size", "window size WxH (default: 1400x900, less on a smaller screen)",
                          "size");
  QCommandLineOption tab("tab", "bring the first tab whose title contains TEXT to the front",
                         "text");
  parser.addOptions({open, compare, screenshot, size, tab});
  parser.process(app);

  flatland::app::MainWindow window;
  // Without --size the window fits the screen it opens on.
  const auto wh = parser.value(size).split('x');
  if (parser.isSet(size) && wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
  // With --screenshot nobody is there to close a message box: problems go to stderr and end the
  // program with status 1 instead.
  const bool headless = parser.isSet(screenshot);
  QStringList problems;
  if (!parser.positionalArguments().isEmpty())
    problems << window.openProject(parser.positionalArguments().first(), !headless);
  for (const auto& entry : parser.values(open)) problems << window.openEntry(entry);
  if (parser.isSet(compare)) {
    QStringList entries;
    for (auto& name : parser.value(compare).split(','))
      entries << (flatland::app::isRunEntry(name) || flatland::app::isAnalysisEntry(name)
                      ? name
                      : flatland::app::analysisEntry(name.toStdString()));
    problems << window.compare(entries);
  }
  if (parser.isSet(tab)) {
    const int index = window.findTab(parser.value(tab));
    if (index < 0)
      problems << "no tab's title contains '" + parser.value(tab) + "'";
    else
      window.views()->setCurrentIndex(index);
  }
  problems.removeAll(QString());
  if (!problems.isEmpty()) {
    if (headless) {
      for (const auto& problem : problems)
        std::fprintf(stderr, "flatland: %s\n", qPrintable(problem));
      return 1;
    }
    QMessageBox::warning(&window, "Cannot open", problems.join("\n"));
  }
  window.show();
  if (parser.isSet(screenshot)) {
    // Views draw after a short pause; give them time, then save and quit.
    QTimer::singleShot(2500, &window, [&] {
      const bool ok = flatland::app::captureAsShown(window).save(parser.value(screenshot));
      std::fprintf(stderr, "%s %s\n", ok ? "saved" : "could not save",
                   qPrintable(parser.value(screenshot)));
      QApplication::exit(ok ? 0 : 1);
    });
  }
  return QApplication::exec();
}
