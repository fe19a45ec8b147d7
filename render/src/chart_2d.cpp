// Curves, spectral densities and bar charts: the 2-D charts of Flatland's analyses.
#include <QFontMetricsF>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "figure_painters.h"
#include "flatland/errors.h"

namespace flatland::render {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Extent {
  double lo = kInf, hi = -kInf;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

void checkSeries(const Series& s) {
  if (s.xs.size() != s.ys.size())
    throw RenderError("series '" + s.label + "' has " + std::to_string(s.xs.size()) +
                      " x values but " + std::to_string(s.ys.size()) + " y values");
}

// A polyline through the finite points of a series; a NaN breaks the line.
QPainterPath seriesPath(const Series& s, const std::function<QPointF(double, double)>& map) {
  QPainterPath path;
  bool open = false;
  for (std::size_t i = 0; i < s.xs.size(); ++i) {
    if (!std::isfinite(s.xs[i]) || !std::isfinite(s.ys[i])) {
      open = false;
      continue;
    }
    const QPointF p = map(s.xs[i], s.ys[i]);
    if (open)
      path.lineTo(p);
    else
      path.moveTo(p);
    open = true;
  }
  return path;
}

void drawSeries(PlotPainter& out, const QRectF& plot, const Series& s, const QColor& color,
                bool dashed, const std::function<QPointF(double, double)>& map) {
  QPainter& p = out.painter();
  p.save();
  p.setClipRect(plot.adjusted(-out.pt(1), -out.pt(1), out.pt(1), out.pt(1)));
  p.setBrush(Qt::NoBrush);
  p.setPen(out.pen(color, out.style().linePt, dashed));
  if (s.line) p.drawPath(seriesPath(s, map));
  const auto finite = [&](std::size_t i) {
    return i < s.xs.size() && std::isfinite(s.xs[i]) && std::isfinite(s.ys[i]);
  };
  p.setPen(Qt::NoPen);
  p.setBrush(color);
  for (std::size_t i = 0; i < s.xs.size(); ++i) {
    // A point with no finite neighbour makes no line (a run of one epoch): it gets a marker.
    const bool isolated = !(i > 0 && finite(i - 1)) && !finite(i + 1);
    if (finite(i) && (s.markers || !s.line || isolated))
      p.drawEllipse(map(s.xs[i], s.ys[i]), out.pt(1.8), out.pt(1.8));
  }
  p.restore();
}

// The axis over a window the user zoomed to: log where asked and possible, no margin.
Axis windowAxis(double lo, double hi, bool log, const std::string& label) {
  return log && lo > 0 ? logAxis(lo, hi, label) : linearAxis(lo, hi, label, 0.0);
}

void fillBackground(PlotPainter& out, const QRectF& plot) {
  out.painter().fillRect(plot, Qt::white);
}

// The indices of the series the user has not hidden.
std::vector<std::size_t> shownIndices(const std::vector<Series>& series) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < series.size(); ++i)
    if (!series[i].hidden) out.push_back(i);
  return out;
}

}  // namespace

// Small multiples: the figure's title on top, then `count` panels in a grid about as wide as the
// page is, each painted by `paintPanel(i, painter)` on its own part of the page.
void paintPanelGrid(const std::string& title, std::size_t count, PlotPainter& out,
                    const std::function<void(std::size_t, PlotPainter&)>& paintPanel) {
  out.drawTitle(title);
  const QRectF page = out.page();
  const double top =
      title.empty()
          ? page.top()
          : page.top() + out.pt(6) + QFontMetricsF(out.font(out.style().titlePt, true)).height();
  const double height = page.bottom() - top;
  const std::size_t columns = std::min<std::size_t>(
      count, std::max<std::size_t>(1, std::size_t(std::ceil(std::sqrt(double(count) * page.width() /
                                                                      std::max(1.0, height))))));
  const std::size_t rows = (count + columns - 1) / columns;
  const double w = page.width() / double(columns), h = height / double(rows);
  PaperStyle panelStyle = out.style();  // a panel's title (its series) no larger than a label
  panelStyle.titlePt = panelStyle.labelPt;
  for (std::size_t i = 0; i < count; ++i) {
    PlotPainter part(
        out.painter(),
        QRectF(page.left() + w * double(i % columns), top + h * double(i / columns), w, h),
        out.dpi(), panelStyle);
    paintPanel(i, part);
  }
}

void paintCurves(const CurvesFigure& given, PlotPainter& out) {
  // On a log x axis a point at x <= 0 has no place: it breaks the line as a NaN does.
  CurvesFigure positive;
  if (given.logX) {
    positive = given;
    for (auto* group : {&positive.left, &positive.right})
      for (Series& s : *group)
        for (double& v : s.xs)
          if (!(v > 0)) v = NAN;
  }
  const CurvesFigure& figure = given.logX ? positive : given;
  if (figure.left.empty() && figure.right.empty())
    throw RenderError("a curves figure needs at least one series");
  if (figure.smallMultiples) {
    const std::vector<std::size_t> shown = shownIndices(figure.left);
    if (shown.size() > 1) {
      // Every panel on the axes of all shown series together, so panels compare at a glance.
      Extent x, y;
      for (std::size_t i : shown) {
        checkSeries(figure.left[i]);
        for (double v : figure.left[i].xs) x.add(v);
        for (double v : figure.left[i].ys) y.add(figure.logY && v <= 0 ? kInf : v);
      }
      if (x.empty() || y.empty()) throw RenderError("the curves have no finite point");
      paintPanelGrid(figure.title, shown.size(), out, [&](std::size_t k, PlotPainter& part) {
        CurvesFigure one;
        one.left = {figure.left[shown[k]]};
        one.title = one.left[0].label;
        one.left[0].label.clear();
        one.xLabel = figure.xLabel;
        one.leftLabel = figure.leftLabel;
        one.logX = figure.logX;
        one.logY = figure.logY;
        one.window = figure.window;
        if (!one.window.hasX()) one.window.xLo = x.lo, one.window.xHi = x.hi;
        if (!one.window.hasY()) {
          const double pad = 0.06 * (y.hi - y.lo);
          one.window.yLo = figure.logY ? y.lo / 1.3 : y.lo - pad;
          one.window.yHi = figure.logY ? y.hi * 1.3 : y.hi + pad;
        }
        paintCurves(one, part);
      });
      return;
    }
  }
  Extent x, left, right;
  for (const auto* group : {&figure.left, &figure.right})
    for (const Series& s : *group) {
      checkSeries(s);
      if (s.hidden) continue;
      for (double v : s.xs) x.add(v);
    }
  for (const Series& s : figure.left)
    if (!s.hidden)
      for (double v : s.ys) left.add(figure.logY && v <= 0 ? kInf : v);
  for (const Series& s : figure.right)
    if (!s.hidden)
      for (double v : s.ys) right.add(v);
  if (x.empty()) throw RenderError("the curves have no finite point");

  Axis xAxis = linearAxis(x.lo, x.hi, figure.xLabel, 0.02);
  if (figure.logX) {
    const double lo = std::pow(10, std::floor(std::log10(x.lo)));
    xAxis =
        logAxis(lo, std::max(std::pow(10, std::ceil(std::log10(x.hi))), 10 * lo), figure.xLabel);
  }
  Axis yAxis =
      figure.logY && !left.empty()
          ? logAxis(std::pow(10, std::floor(std::log10(left.lo))),
                    std::pow(10, std::ceil(std::log10(left.hi))), figure.leftLabel)
          : linearAxis(left.empty() ? 0 : left.lo, left.empty() ? 1 : left.hi, figure.leftLabel);
  Axis rightAxis;
  double reserve = 0.0;
  if (!figure.right.empty()) {
    rightAxis =
        linearAxis(right.empty() ? 0 : right.lo, right.empty() ? 1 : right.hi, figure.rightLabel);
    reserve = out.yAxisWidth(rightAxis) + out.pt(2);
  }
  // A window the user zoomed to replaces the data's extent (no margin, no legend headroom).
  const AxisWindow& window = figure.window;
  if (window.hasX()) xAxis = windowAxis(window.xLo, window.xHi, figure.logX, figure.xLabel);
  if (window.hasY()) yAxis = windowAxis(window.yLo, window.yHi, figure.logY, figure.leftLabel);
  QRectF plot = out.plotRect(figure.title, xAxis, yAxis, reserve);
  // Headroom for the legend: the linear y axes grow upwards so the curves stay below it.
  const std::size_t entries = figure.left.size() + figure.right.size();
  if (entries > 1 && !figure.logY && !window.hasY()) {
    const double legendHeight =
        out.pt(6) +
        QFontMetricsF(out.font(out.style().legendPt)).height() * 1.15 * double(entries) + out.pt(6);
    const double free = std::min(0.45, legendHeight / plot.height());
    for (Axis* axis : {&yAxis, &rightAxis}) {
      if (axis == &rightAxis && figure.right.empty()) continue;
      axis->hi = axis->lo + (axis->hi - axis->lo) / (1.0 - free);
      axis->ticks = linearTicks(axis->lo, axis->hi, 5);
      // Ticks above the data would suggest values that are not there.
      const double top = axis->lo + (axis->hi - axis->lo) * (1.0 - free);
      while (axis->ticks.size() > 2 && axis->ticks.back().value > top) axis->ticks.pop_back();
    }
    if (!figure.right.empty()) reserve = out.yAxisWidth(rightAxis) + out.pt(2);
    plot = out.plotRect(figure.title, xAxis, yAxis, reserve);
  }
  fillBackground(out, plot);
  out.drawTitle(figure.title);
  out.drawAxes(plot, xAxis, yAxis);
  if (!figure.right.empty()) out.drawRightAxis(plot, rightAxis);

  std::vector<LegendEntry> legend;
  std::vector<QPointF> drawn;  // where the data lies, for placing the legend
  const auto densify = [&](const Series& s, const Axis& y) {
    // Points along each segment, so a steep line through a corner counts as covering it.
    for (std::size_t k = 0; k + 1 < s.xs.size(); ++k)
      for (int step = 0; step < 8; ++step) {
        const double t = step / 8.0;
        const double a = s.xs[k] + t * (s.xs[k + 1] - s.xs[k]);
        const double b = s.ys[k] + t * (s.ys[k + 1] - s.ys[k]);
        if (std::isfinite(a) && std::isfinite(b) && (!y.log || b > 0))
          drawn.emplace_back(out.mapX(plot, xAxis, a), out.mapY(plot, y, b));
      }
  };
  for (const Series& s : figure.left)
    if (!s.hidden) densify(s, yAxis);
  for (const Series& s : figure.right)
    if (!s.hidden) densify(s, rightAxis);
  // Hidden series: greyed in the legend of an on-screen view (a click shows them), else left out.
  const auto listHidden = [&](const Series& s, const QColor& color, bool dashed, int index) {
    if (figure.legendListsHidden)
      legend.push_back({s.label, color, dashed, s.markers, LegendEntry::Symbol::Line, index, true});
  };
  for (std::size_t i = 0; i < figure.left.size(); ++i) {
    const Series& s = figure.left[i];
    const QColor color = toQColor(seriesColor(i));
    if (s.hidden) {
      listHidden(s, color, s.dashed, int(i));
      continue;
    }
    drawSeries(out, plot, s, color, s.dashed, [&](double a, double b) {
      return QPointF(out.mapX(plot, xAxis, a), out.mapY(plot, yAxis, b));
    });
    legend.push_back({s.label, color, s.dashed, s.markers, LegendEntry::Symbol::Line, int(i)});
  }
  // Right-axis series reuse the colours of the left ones (train/test) and are dashed, so the
  // legend reads "same colour = same data split, dashes = right axis".
  for (std::size_t i = 0; i < figure.right.size(); ++i) {
    const Series& s = figure.right[i];
    const QColor color = toQColor(seriesColor(i));
    const int index = int(figure.left.size() + i);
    if (s.hidden) {
      listHidden(s, color, true, index);
      continue;
    }
    drawSeries(out, plot, s, color, true, [&](double a, double b) {
      return QPointF(out.mapX(plot, xAxis, a), out.mapY(plot, rightAxis, b));
    });
    legend.push_back({s.label, color, true, s.markers, LegendEntry::Symbol::Line, index});
  }
  bool labelled = false;
  for (const auto& e : legend) labelled = labelled || !e.label.empty();
  if (labelled && legend.size() > 1) out.drawLegendAvoiding(plot, legend, drawn);
}

void paintDensity(const DensityFigure& figure, PlotPainter& out) {
  if (figure.densities.empty()) throw RenderError("a density figure needs at least one density");
  if (!(figure.floor > 0)) throw RenderError("the density floor must be positive");
  if (figure.smallMultiples) {
    const std::vector<std::size_t> shown = shownIndices(figure.densities);
    if (shown.size() > 1) {
      // Every panel on the eigenvalue range of all of them (marks included) and one density range.
      Extent x, y;
      for (std::size_t i : shown) {
        checkSeries(figure.densities[i]);
        for (double v : figure.densities[i].xs) x.add(v);
        for (double v : figure.densities[i].ys) y.add(std::max(v, figure.floor));
        if (i < figure.topEigenvalues.size())
          for (double v : figure.topEigenvalues[i]) x.add(v);
      }
      if (x.empty() || y.empty()) throw RenderError("the densities have no finite point");
      paintPanelGrid(figure.title, shown.size(), out, [&](std::size_t k, PlotPainter& part) {
        const std::size_t i = shown[k];
        DensityFigure one;
        one.densities = {figure.densities[i]};
        one.title = one.densities[0].label;
        one.densities[0].label.clear();
        if (i < figure.topEigenvalues.size()) one.topEigenvalues = {figure.topEigenvalues[i]};
        one.floor = figure.floor;
        one.xLabel = figure.xLabel;
        one.yLabel = figure.yLabel;
        one.logY = figure.logY;
        one.window = figure.window;
        if (!one.window.hasX()) one.window.xLo = x.lo, one.window.xHi = x.hi;
        if (!one.window.hasY()) {
          one.window.yLo = figure.logY ? figure.floor : 0.0;
          one.window.yHi = figure.logY ? y.hi * 3.0 : y.hi * 1.1;
        }
        paintDensity(one, part);
      });
      return;
    }
  }
  Extent x, y;
  for (const Series& s : figure.densities) {
    if (s.hidden) continue;
    checkSeries(s);
    for (double v : s.xs) x.add(v);
    for (double v : s.ys) y.add(std::max(v, figure.floor));
  }
  for (const auto& eigenvalues : figure.topEigenvalues)
    for (double v : eigenvalues) x.add(v);
  if (x.empty()) throw RenderError("the densities have no finite point");

  Axis xAxis = figure.window.hasX()
                   ? windowAxis(figure.window.xLo, figure.window.xHi, false, figure.xLabel)
                   : linearAxis(x.lo, x.hi, figure.xLabel, 0.03);
  // Headroom of a decade and a half above the peak keeps the legend off the curves.
  const double top = std::pow(10.0, std::ceil(std::log10(std::max(y.hi, figure.floor)) + 1.5));
  Axis yAxis = figure.logY ? logAxis(figure.floor, top, figure.yLabel)
                           : linearAxis(0.0, y.empty() ? 1.0 : y.hi * 1.35, figure.yLabel, 0.0);
  if (figure.window.hasY())
    yAxis = windowAxis(figure.window.yLo, figure.window.yHi, figure.logY, figure.yLabel);
  // On a log axis densities below the floor are drawn at it (0 has no place there).
  const double floor = yAxis.log ? figure.floor : -kInf;
  const QRectF plot = out.plotRect(figure.title, xAxis, yAxis);
  fillBackground(out, plot);
  out.drawTitle(figure.title);
  out.drawAxes(plot, xAxis, yAxis);

  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < figure.densities.size(); ++i) {
    const Series& s = figure.densities[i];
    const QColor color = toQColor(seriesColor(i));
    if (s.hidden) {
      if (figure.legendListsHidden)
        legend.push_back(
            {s.label, color, s.dashed, false, LegendEntry::Symbol::Line, int(i), true});
      continue;
    }
    drawSeries(out, plot, s, color, s.dashed, [&](double a, double b) {
      return QPointF(out.mapX(plot, xAxis, a), out.mapY(plot, yAxis, std::max(b, floor)));
    });
    legend.push_back({s.label, color, s.dashed, false, LegendEntry::Symbol::Line, int(i)});
    if (i >= figure.topEigenvalues.size()) continue;
    // Top eigenvalues: upward triangles on the x axis, stacked per density so they never hide
    // one another.
    const double size = out.pt(2.6);
    for (double lambda : figure.topEigenvalues[i]) {
      if (!std::isfinite(lambda)) continue;
      const double px = out.mapX(plot, xAxis, lambda);
      const double base = plot.bottom() - out.pt(1) - double(i) * size * 1.6;
      out.drawTriangle(QPointF(px, base - size * 1.5), size, color);
    }
  }
  if (!figure.topEigenvalues.empty())
    legend.push_back(
        {"top eigenvalues", QColor(90, 90, 90), false, false, LegendEntry::Symbol::Triangle});
  bool labelled = false;
  for (const auto& e : figure.densities) labelled = labelled || !e.label.empty();
  if (labelled) {
    std::vector<QPointF> drawn;
    for (const Series& s : figure.densities)
      for (std::size_t k = 0; k < s.xs.size() && !s.hidden; ++k)
        if (std::isfinite(s.xs[k]) && std::isfinite(s.ys[k]) && s.ys[k] > figure.floor)
          drawn.emplace_back(out.mapX(plot, xAxis, s.xs[k]), out.mapY(plot, yAxis, s.ys[k]));
    out.drawLegendAvoiding(plot, legend, drawn);
  }
}

void paintBars(const BarsFigure& figure, PlotPainter& out) {
  if (figure.series.empty() || figure.categories.empty())
    throw RenderError("a bar chart needs categories and at least one series");
  Extent y;
  y.add(0.0);  // bars start at zero
  for (const BarSeries& s : figure.series) {
    if (s.values.size() != figure.categories.size())
      throw RenderError("bar series '" + s.label + "' has " + std::to_string(s.values.size()) +
                        " values for " + std::to_string(figure.categories.size()) + " categories");
    for (double v : s.values) y.add(v);
  }
  const std::size_t n = figure.categories.size();
  Axis xAxis;
  xAxis.lo = -0.5;
  xAxis.hi = double(n) - 0.5;
  xAxis.label = figure.xLabel;
  // Room above (and below) the bars for their values.
  if (figure.valueLabels) {
    // A label's height, plus the legend's rows when it sits above the bars.
    const double rows = figure.series.size() > 1 ? double(figure.series.size()) : 0.0;
    const double room = (0.12 + 0.06 * rows) * (y.hi - y.lo);
    y.add(y.hi + room);
    if (y.lo < 0) y.add(y.lo - room);
  }
  Axis yAxis = linearAxis(y.lo, y.hi, figure.yLabel, 0.06);
  if (y.lo >= 0) {  // keep bars standing on the frame when nothing is negative
    yAxis.lo = 0.0;
    yAxis.ticks = linearTicks(yAxis.lo, yAxis.hi, 5);
  }

  // Category names: horizontal when they fit their slot, else slanted.
  QRectF plot = out.plotRect(figure.title, xAxis, yAxis);
  const QFont f = out.font(out.style().tickPt);
  const QFontMetricsF metrics(f);
  double widest = 0.0;
  for (const auto& c : figure.categories)
    widest = std::max(widest, metrics.horizontalAdvance(toQString(c)));
  const bool slanted = widest > plot.width() / double(n) * 0.95;
  if (slanted) plot.setBottom(plot.bottom() - widest * 0.64);  // sin(40°) of the longest name
  fillBackground(out, plot);
  out.drawTitle(figure.title);
  Axis frameX = xAxis;                // no numeric ticks on a category axis
  if (slanted) frameX.label.clear();  // drawn below the slanted names instead
  out.drawAxes(plot, frameX, yAxis);
  if (slanted && !figure.xLabel.empty()) {
    out.painter().setPen(Qt::black);
    out.drawText(QPointF(plot.center().x(), out.page().bottom() - out.pt(4)), figure.xLabel,
                 out.font(out.style().labelPt), Qt::AlignHCenter | Qt::AlignBottom);
  }

  QPainter& p = out.painter();
  const double slot = plot.width() / double(n);
  const double barWidth = slot * 0.8 / double(figure.series.size());
  const double zero = out.mapY(plot, yAxis, 0.0);
  std::vector<LegendEntry> legend;
  for (std::size_t k = 0; k < figure.series.size(); ++k) {
    const QColor color = toQColor(seriesColor(k));
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    for (std::size_t i = 0; i < n; ++i) {
      const double v = figure.series[k].values[i];
      if (!std::isfinite(v)) continue;
      const double left = plot.left() + slot * (double(i) + 0.1) + barWidth * double(k);
      const double top = out.mapY(plot, yAxis, v);
      p.drawRect(QRectF(QPointF(left, std::min(top, zero)),
                        QPointF(left + barWidth, std::max(top, zero))));
      if (figure.valueLabels) {
        // Three significant digits at the bar's end; upright when the bar is too narrow.
        const std::string text = QString::number(v, 'g', 3).toStdString();
        const QFont small = out.font(out.style().tickPt * 0.9);
        const bool upright = QFontMetricsF(small).horizontalAdvance(toQString(text)) > barWidth;
        const double gap = out.pt(1.2);
        const QPointF end(left + barWidth / 2, v >= 0 ? top - gap : top + gap);
        p.setPen(Qt::black);
        if (upright)
          out.drawText(end, text, small,
                       (v >= 0 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter, true);
        else
          out.drawText(end, text, small,
                       Qt::AlignHCenter | (v >= 0 ? Qt::AlignBottom : Qt::AlignTop));
        p.setPen(Qt::NoPen);
      }
    }
    legend.push_back({figure.series[k].label, color, false, false, LegendEntry::Symbol::Box});
  }
  if (y.lo < 0) {
    p.setPen(out.pen(Qt::black, out.style().axisPt));
    p.drawLine(QPointF(plot.left(), zero), QPointF(plot.right(), zero));
  }
  const double tick = out.pt(out.style().tickLengthPt);
  for (std::size_t i = 0; i < n; ++i) {
    const double cx = plot.left() + slot * (double(i) + 0.5);
    p.setPen(out.pen(Qt::black, out.style().axisPt));
    p.drawLine(QPointF(cx, plot.bottom()), QPointF(cx, plot.bottom() + tick));
    p.setPen(Qt::black);
    if (!slanted) {
      out.drawText(QPointF(cx, plot.bottom() + tick + out.pt(1.5)), figure.categories[i], f,
                   Qt::AlignHCenter | Qt::AlignTop);
    } else {
      p.save();
      p.translate(cx, plot.bottom() + tick + out.pt(1.5));
      p.rotate(-40.0);
      out.drawText(QPointF(0, 0), figure.categories[i], f, Qt::AlignRight | Qt::AlignVCenter);
      p.restore();
    }
  }
  if (figure.series.size() > 1) {
    std::vector<QPointF> drawn;  // the tops of the bars
    for (std::size_t k = 0; k < figure.series.size(); ++k)
      for (std::size_t i = 0; i < n; ++i)
        for (double f = 0.0; f <= 1.0; f += 0.25)
          for (double h = 0.0; h <= 1.0; h += 0.125)
            drawn.emplace_back(plot.left() + slot * (double(i) + 0.1) + barWidth * (double(k) + f),
                               out.mapY(plot, yAxis, h * figure.series[k].values[i]));
    out.drawLegendAvoiding(plot, legend, drawn);
  }
}

}  // namespace flatland::render
