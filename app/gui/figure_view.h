// Shows one figure in a tab, with Export (PNG/PDF/SVG at a chosen size and DPI) and CSV. 3-D views
// (surfaces, comparisons, volumes) are interactive VTK scenes; 2-D views are drawn by the same
// painter that exports them, so what is on screen is what lands in the paper.
#pragma once

#include <QWidget>

#include <optional>
#include <utility>

#include "flatland/render/figures.h"

class QLabel;
class QVBoxLayout;
class QTimer;

namespace flatland::render {
class VtkLandscapeWidget;
}

namespace flatland::app {

class ChartInteraction;

class FigureView : public QWidget {
  Q_OBJECT
 public:
  FigureView(render::Figure figure, QWidget* parent = nullptr);
  const render::Figure& figure() const { return m_figure; }
  void setFigure(render::Figure figure);
  // What the tab says ("surface-sgd: surface", "sgd vs sam: surfaces"); exports are named after it.
  void setTitle(const QString& title) { m_title = title; }
  const QString& title() const { return m_title; }
  // One loss range for this surface or contour view (MainWindow's "same loss range"); nullopt:
  // its own.
  void setSharedLossRange(std::optional<std::pair<double, double>> range);
  // The figure as it would be exported: a 3-D view turned the way the user turned it.
  render::Figure figureAsShown() const;
  // Writes the figure as shown to a file (format from the extension). Throws flatland::RenderError.
  void exportTo(const QString& path, int width, int height, double dpi, bool transparent) const;
  // Where an export is offered: the folder of the last export (else the project's folder, else
  // home), and a file named after the view.
  QString suggestedExportPath(const QString& extension) const;
  void setProjectFolder(const QString& folder) { m_projectFolder = folder; }
  // Remembers the folder of `path` for the next export (QSettings).
  static void rememberExportFolder(const QString& path);
  // Asks for a file and a size, then exports; errors are shown in a message box.
  void exportInteractively();
  void exportCsvInteractively();
  // Puts a 3-D view's camera back to the figure's angles; false for 2-D views.
  bool resetCamera();
  // Curves and densities: what the mouse does to them (nullptr for other views).
  ChartInteraction* chart() const { return m_chart; }

 protected:
  void resizeEvent(QResizeEvent* event) override;
  void showEvent(QShowEvent* event) override;

 private:
  void redraw();
  // m_figure with what the user chose (shared range, chart interaction) applied.
  render::Figure withViewSettings() const;
  // Densities with SLQ's nodes: a slider for the kernel width they are smoothed with.
  void addSmoothingSlider(const render::DensityFigure& density, QVBoxLayout* layout);

  render::Figure m_figure;
  QString m_title;
  QString m_projectFolder;
  std::optional<std::pair<double, double>> m_sharedRange;
  QLabel* m_image = nullptr;                      // 2-D views
  ChartInteraction* m_chart = nullptr;            // curves and densities: zoom, pan, hover, …
  render::VtkLandscapeWidget* m_scene = nullptr;  // 3-D views
  QLabel* m_sceneProblem = nullptr;               // why a 3-D view cannot be drawn
  QTimer* m_redrawTimer = nullptr;
  // A redraw came while the view was hidden (a tab in the back): it waits until the view shows.
  // Hidden 3-D views have no GL surface to draw on, and most are never looked at again.
  bool m_redrawWhenShown = false;
};

}  // namespace flatland::app
