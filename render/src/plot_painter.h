// QPainter building blocks for figures in papers: axes with ticks, legends, colour bars, titles.
// Sizes are given in typographic points and converted with the output's DPI, so a figure keeps
// its proportions whether it is a 300-DPI PNG, a PDF page or an SVG.
#pragma once

#include <QColor>
#include <QFont>
#include <QPainter>
#include <QPen>
#include <QRectF>
#include <string>
#include <vector>

#include "flatland/render/colormap.h"
#include "ticks.h"

namespace flatland::render {

// Font sizes (points) for a figure one column of a two-column paper wide.
struct PaperStyle {
  double titlePt = 9.0;
  double labelPt = 8.0;
  double tickPt = 7.0;
  double legendPt = 7.0;
  double linePt = 1.2;  // data lines
  double axisPt = 0.6;  // frame and ticks
  double tickLengthPt = 3.0;
};

// One axis: data range, log or linear, where the ticks go, and its label.
struct Axis {
  double lo = 0.0;
  double hi = 1.0;
  bool log = false;
  std::vector<Tick> ticks;
  std::string label;
  // Position of v along the axis, 0 at lo and 1 at hi.
  double fraction(double v) const;
};

// A linear axis over [dataLo, dataHi] widened by `margin` of the span on each side.
Axis linearAxis(double dataLo, double dataHi, const std::string& label, double margin = 0.05,
                int tickTarget = 5);
// A log axis over [lo, hi] (lo > 0) with ticks at powers of ten.
Axis logAxis(double lo, double hi, const std::string& label);

struct LegendEntry {
  enum class Symbol { Line, Box, Triangle, Star };
  std::string label;
  QColor color;
  bool dashed = false;
  bool marker = false;  // a dot on the line
  Symbol symbol = Symbol::Line;
  int series = -1;      // the figure's series it stands for (curves: left, then right), or −1
  bool greyed = false;  // a hidden series, listed so that it can be shown again
};

// Where one legend row was drawn, and the series it stands for.
struct LegendRow {
  QRectF rect;
  int series = -1;
};

QColor toQColor(const Rgb& rgb, double alpha = 1.0);
QString toQString(const std::string& text);

class PlotPainter {
 public:
  // `page` is the whole figure in device units; dpi converts points to device units.
  PlotPainter(QPainter& painter, const QRectF& page, double dpi, PaperStyle style = {});

  double pt(double points) const { return points * m_dpi / 72.0; }
  double dpi() const { return m_dpi; }
  QFont font(double points, bool bold = false) const;
  QPen pen(const QColor& color, double widthPt, bool dashed = false) const;
  QPainter& painter() { return m_painter; }
  const PaperStyle& style() const { return m_style; }
  const QRectF& page() const { return m_page; }

  // The rectangle left for data once title, tick labels and axis labels have room.
  // `rightReserve` keeps extra device units on the right (colour bar, second axis).
  QRectF plotRect(const std::string& title, const Axis& x, const Axis& y,
                  double rightReserve = 0.0) const;
  // Width needed by the tick labels and label of a y axis.
  double yAxisWidth(const Axis& y) const;

  void drawTitle(const std::string& title);
  // Frame, ticks, tick labels, axis labels and light grid lines.
  void drawAxes(const QRectF& plot, const Axis& x, const Axis& y, bool grid = true);
  // A second y axis on the right side of `plot`.
  void drawRightAxis(const QRectF& plot, const Axis& y);
  void drawLegend(const QRectF& plot, const std::vector<LegendEntry>& entries,
                  Qt::Alignment corner = Qt::AlignTop | Qt::AlignRight);
  // The legend in whichever corner covers the fewest of `avoid` (data points, device units);
  // ties keep the order top right, top left, bottom right, bottom left.
  void drawLegendAvoiding(const QRectF& plot, const std::vector<LegendEntry>& entries,
                          const std::vector<QPointF>& avoid);
  // A vertical colour bar filling `bar` (as vector bands, not an image) with ticks on its right.
  void drawColorBar(const QRectF& bar, const ColorMap& map, double lo, double hi,
                    const std::string& label);
  // Width a colour bar with its labels needs, including the gap from the plot.
  double colorBarReserve(double lo, double hi, const std::string& label) const;

  double mapX(const QRectF& plot, const Axis& x, double v) const;
  double mapY(const QRectF& plot, const Axis& y, double v) const;

  // Text anchored at `anchor` with the given alignment (Qt::AlignLeft/Right/HCenter,
  // Qt::AlignTop/Bottom/VCenter), optionally rotated by -90 degrees (y-axis labels).
  void drawText(const QPointF& anchor, const std::string& text, const QFont& font,
                Qt::Alignment align, bool vertical = false);
  // A tick label: plain text, or 10 with a superscript exponent on log axes.
  void drawTickLabel(const QPointF& anchor, const Tick& tick, bool log, Qt::Alignment align);
  double tickLabelWidth(const Tick& tick, bool log) const;
  // Marks shared by the views: the minimum of a landscape, marked eigenvalues.
  void drawStar(const QPointF& center, double radius, const QColor& fill);
  void drawTriangle(const QPointF& apex, double size, const QColor& fill);

  // The first frame drawAxes drew (the main plot): where its data lies, for mapping the mouse.
  struct Frame {
    QRectF plot;
    Axis x, y;
    bool drawn = false;
  };
  const Frame& mainFrame() const { return m_frame; }
  // The rows of the legends drawn so far that stand for a series (for clicks on the legend).
  const std::vector<LegendRow>& legendRows() const { return m_legendRows; }

 private:
  QRectF legendBox(const QRectF& plot, const std::vector<LegendEntry>& entries,
                   Qt::Alignment corner) const;

  QPainter& m_painter;
  QRectF m_page;
  double m_dpi;
  PaperStyle m_style;
  Frame m_frame;
  std::vector<LegendRow> m_legendRows;
};

}  // namespace flatland::render
