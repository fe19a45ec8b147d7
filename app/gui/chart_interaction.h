// Zoom, pan, hover read-out, log/linear axes, hidden series and density smoothing for the 2-D
// charts (curves and spectral densities) of a FigureView. The view's figure stays as loaded; the
// user's choices are kept here and applied to a copy (what is shown and exported).
#pragma once

#include <QObject>
#include <QPointF>
#include <QString>

#include <optional>
#include <set>

#include "flatland/render/export_figure.h"
#include "flatland/render/figures.h"

class QLabel;
class QMenu;

namespace flatland::app {

class ChartInteraction : public QObject {
  Q_OBJECT
 public:
  // Whether a figure is one this class makes interactive (curves, densities).
  static bool supports(const render::Figure& figure);
  // Watches the mouse over `canvas`, the label the chart's pixmap is shown in.
  ChartInteraction(QLabel* canvas, QObject* parent);

  // The figure with the user's window, axes, hidden series and smoothing applied.
  render::Figure apply(const render::Figure& figure) const;
  // What was drawn last (apply's result), where its data lay in the image, and the image's
  // pixels per label pixel.
  void setDrawn(const render::Figure& shown, const render::PlotFrame& frame, double pixelRatio);

  // The wheel over a label point: factor < 1 zooms in around it.
  void zoomAt(const QPointF& at, double factor);
  // Moves the window by a drag from `from` to `to` (label points).
  void pan(const QPointF& from, const QPointF& to);
  void resetWindow();
  // The nearest point of a shown series within 10 pixels of a label point: "label: x = …, y = …";
  // empty when none.
  QString describeAt(const QPointF& at) const;
  void setSeriesHidden(std::size_t index, bool hidden);
  void setLogY(bool logY);
  void setLogX(bool logX);
  // Densities: Gaussian kernels of width σ over SLQ's nodes (0: the stored curve).
  void setSmoothing(double sigma);
  // One panel per series (small multiples) or all overlaid on one plot.
  void setSmallMultiples(bool on);
  // The right-click menu of `figure` (the caller owns it).
  QMenu* menuFor(const render::Figure& figure);

  const render::AxisWindow& window() const { return m_window; }
  // Where a data point of the last drawing lies in the label (the inverse of the mouse mapping).
  QPointF labelPointOf(double x, double y) const;
  // The middle of the legend row of series `index` in the last drawing, in label points; nullopt
  // when the legend does not list it. A left click there hides or shows the series.
  std::optional<QPointF> legendPointOf(std::size_t index) const;

 Q_SIGNALS:
  void changed();  // the chart must be drawn again

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  QPointF toImage(const QPointF& at) const;  // label point → image pixel

  QLabel* m_canvas;
  render::PlotFrame m_frame;
  double m_ratio = 1.0;
  render::AxisWindow m_window;
  std::set<std::size_t> m_hidden;
  std::optional<bool> m_logY, m_logX;
  double m_sigma = 0.0;
  std::optional<bool> m_smallMultiples;
  render::Figure m_shown;  // the figure last drawn (for hover read-outs)
  std::optional<QPointF> m_dragFrom;
  render::PlotFrame m_dragFrame;  // the frame when the drag began
};

}  // namespace flatland::app
