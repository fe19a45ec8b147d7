#include "plot_painter.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace flatland::render {

double Axis::fraction(double v) const {
  if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return (v - lo) / (hi - lo);
}

Axis linearAxis(double dataLo, double dataHi, const std::string& label, double margin,
                int tickTarget) {
  if (!std::isfinite(dataLo) || !std::isfinite(dataHi)) dataLo = 0.0, dataHi = 1.0;
  if (dataHi - dataLo < 1e-12 * std::max(1.0, std::abs(dataHi))) {
    const double half = std::max(0.5, std::abs(dataLo) * 0.1);
    dataLo -= half;
    dataHi += half;
  }
  Axis axis;
  const double span = dataHi - dataLo;
  axis.lo = dataLo - margin * span;
  axis.hi = dataHi + margin * span;
  axis.ticks = linearTicks(axis.lo, axis.hi, tickTarget);
  axis.label = label;
  return axis;
}

Axis logAxis(double lo, double hi, const std::string& label) {
  Axis axis;
  axis.log = true;
  axis.lo = lo;
  axis.hi = std::max(hi, lo * 10.0);
  axis.ticks = decadeTicks(axis.lo, axis.hi);
  axis.label = label;
  return axis;
}

QColor toQColor(const Rgb& rgb, double alpha) {
  return QColor::fromRgbF(float(rgb[0]), float(rgb[1]), float(rgb[2]), float(alpha));
}

QString toQString(const std::string& text) { return QString::fromStdString(text); }

PlotPainter::PlotPainter(QPainter& painter, const QRectF& page, double dpi, PaperStyle style)
    : m_painter(painter), m_page(page), m_dpi(dpi), m_style(style) {
  m_painter.setRenderHint(QPainter::Antialiasing, true);
  m_painter.setRenderHint(QPainter::TextAntialiasing, true);
}

QFont PlotPainter::font(double points, bool bold) const {
  // DejaVu Sans ships with Debian and has α, β, λ; pixel sizes keep PNG, PDF and SVG alike.
  QFont f(QStringLiteral("DejaVu Sans"));
  f.setPixelSize(std::max(1, int(std::lround(pt(points)))));
  f.setBold(bold);
  f.setHintingPreference(QFont::PreferNoHinting);
  return f;
}

QPen PlotPainter::pen(const QColor& color, double widthPt, bool dashed) const {
  QPen p(color, pt(widthPt));
  p.setCapStyle(Qt::FlatCap);
  p.setJoinStyle(Qt::RoundJoin);
  if (dashed) p.setDashPattern({4.0, 2.5});  // in pen widths
  return p;
}

double PlotPainter::mapX(const QRectF& plot, const Axis& x, double v) const {
  return plot.left() + x.fraction(v) * plot.width();
}

double PlotPainter::mapY(const QRectF& plot, const Axis& y, double v) const {
  return plot.bottom() - y.fraction(v) * plot.height();
}

void PlotPainter::drawText(const QPointF& anchor, const std::string& text, const QFont& f,
                           Qt::Alignment align, bool vertical) {
  const QString s = toQString(text);
  const QFontMetricsF metrics(f);
  const double width = metrics.horizontalAdvance(s);
  double dx = 0.0, dy = 0.0;  // offset of the baseline start in the text's own frame
  if (align & Qt::AlignRight)
    dx = -width;
  else if (align & Qt::AlignHCenter)
    dx = -width / 2;
  if (align & Qt::AlignTop)
    dy = metrics.ascent();
  else if (align & Qt::AlignBottom)
    dy = -metrics.descent();
  else
    dy = (metrics.ascent() - metrics.descent()) / 2;
  m_painter.save();
  m_painter.setFont(f);
  m_painter.translate(anchor);
  if (vertical) m_painter.rotate(-90.0);
  m_painter.drawText(QPointF(dx, dy), s);
  m_painter.restore();
}

double PlotPainter::tickLabelWidth(const Tick& tick, bool log) const {
  const QFontMetricsF metrics(font(m_style.tickPt));
  if (!log) return metrics.horizontalAdvance(toQString(tick.label));
  const QFontMetricsF small(font(m_style.tickPt * 0.75));
  return metrics.horizontalAdvance(QStringLiteral("10")) +
         small.horizontalAdvance(toQString(tick.label));
}

void PlotPainter::drawTickLabel(const QPointF& anchor, const Tick& tick, bool log,
                                Qt::Alignment align) {
  const QFont f = font(m_style.tickPt);
  if (!log) {
    drawText(anchor, tick.label, f, align);
    return;
  }
  // "10" then the exponent, raised and smaller, as a typeset power of ten.
  const double width = tickLabelWidth(tick, true);
  const QFontMetricsF metrics(f);
  double left = anchor.x();
  if (align & Qt::AlignRight)
    left -= width;
  else if (align & Qt::AlignHCenter)
    left -= width / 2;
  Qt::Alignment vertical = align & Qt::AlignVertical_Mask;
  drawText(QPointF(left, anchor.y()), "10", f, Qt::AlignLeft | vertical);
  const double base = metrics.horizontalAdvance(QStringLiteral("10"));
  drawText(QPointF(left + base, anchor.y() - metrics.ascent() * 0.45), tick.label,
           font(m_style.tickPt * 0.75), Qt::AlignLeft | vertical);
}

double PlotPainter::yAxisWidth(const Axis& y) const {
  double widest = 0.0;
  for (const Tick& t : y.ticks) widest = std::max(widest, tickLabelWidth(t, y.log));
  double width = pt(m_style.tickLengthPt) + pt(2.5) + widest;
  if (!y.label.empty()) width += QFontMetricsF(font(m_style.labelPt)).height() + pt(3);
  return width;
}

QRectF PlotPainter::plotRect(const std::string& title, const Axis& x, const Axis& y,
                             double rightReserve) const {
  const double pad = pt(4);
  const QFontMetricsF tickMetrics(font(m_style.tickPt));
  const QFontMetricsF labelMetrics(font(m_style.labelPt));
  double top = m_page.top() + pad;
  if (!title.empty())
    top += QFontMetricsF(font(m_style.titlePt, true)).height() + pt(3);
  else
    top += tickMetrics.height() / 2;  // room for the top tick label of the y axis
  double bottom = m_page.bottom() - pad - pt(m_style.tickLengthPt) - pt(2) - tickMetrics.height();
  if (!x.label.empty()) bottom -= labelMetrics.height() + pt(2);
  const double left = m_page.left() + pad + yAxisWidth(y);
  double lastTick = 0.0;
  if (!x.ticks.empty()) lastTick = tickLabelWidth(x.ticks.back(), x.log) / 2;
  const double right = m_page.right() - pad - std::max(rightReserve, lastTick);
  return QRectF(QPointF(left, top), QPointF(right, bottom));
}

void PlotPainter::drawTitle(const std::string& title) {
  if (title.empty()) return;
  drawText(QPointF(m_page.center().x(), m_page.top() + pt(4)), title, font(m_style.titlePt, true),
           Qt::AlignHCenter | Qt::AlignTop);
}

void PlotPainter::drawAxes(const QRectF& plot, const Axis& x, const Axis& y, bool grid) {
  if (!m_frame.drawn) m_frame = {plot, x, y, true};
  const double tick = pt(m_style.tickLengthPt);
  if (grid) {
    m_painter.setPen(pen(QColor(0, 0, 0, 28), 0.5));
    for (const Tick& t : x.ticks) {
      const double px = mapX(plot, x, t.value);
      m_painter.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
    }
    for (const Tick& t : y.ticks) {
      const double py = mapY(plot, y, t.value);
      m_painter.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py));
    }
  }
  m_painter.setPen(pen(Qt::black, m_style.axisPt));
  m_painter.setBrush(Qt::NoBrush);
  m_painter.drawRect(plot);
  for (const Tick& t : x.ticks) {
    const double px = mapX(plot, x, t.value);
    m_painter.setPen(pen(Qt::black, m_style.axisPt));
    m_painter.drawLine(QPointF(px, plot.bottom()), QPointF(px, plot.bottom() + tick));
    m_painter.setPen(Qt::black);
    drawTickLabel(QPointF(px, plot.bottom() + tick + pt(1.5)), t, x.log,
                  Qt::AlignHCenter | Qt::AlignTop);
  }
  for (const Tick& t : y.ticks) {
    const double py = mapY(plot, y, t.value);
    m_painter.setPen(pen(Qt::black, m_style.axisPt));
    m_painter.drawLine(QPointF(plot.left() - tick, py), QPointF(plot.left(), py));
    m_painter.setPen(Qt::black);
    drawTickLabel(QPointF(plot.left() - tick - pt(2), py), t, y.log,
                  Qt::AlignRight | Qt::AlignVCenter);
  }
  m_painter.setPen(Qt::black);
  const QFont labelFont = font(m_style.labelPt);
  const QFontMetricsF tickMetrics(font(m_style.tickPt));
  if (!x.label.empty())
    drawText(QPointF(plot.center().x(), plot.bottom() + tick + pt(3.5) + tickMetrics.height()),
             x.label, labelFont, Qt::AlignHCenter | Qt::AlignTop);
  if (!y.label.empty())
    drawText(QPointF(plot.left() - yAxisWidth(y) + pt(0.5), plot.center().y()), y.label, labelFont,
             Qt::AlignHCenter | Qt::AlignTop, true);
}

void PlotPainter::drawRightAxis(const QRectF& plot, const Axis& y) {
  const double tick = pt(m_style.tickLengthPt);
  for (const Tick& t : y.ticks) {
    const double py = mapY(plot, y, t.value);
    m_painter.setPen(pen(Qt::black, m_style.axisPt));
    m_painter.drawLine(QPointF(plot.right(), py), QPointF(plot.right() + tick, py));
    m_painter.setPen(Qt::black);
    drawTickLabel(QPointF(plot.right() + tick + pt(2), py), t, y.log,
                  Qt::AlignLeft | Qt::AlignVCenter);
  }
  if (!y.label.empty()) {
    m_painter.setPen(Qt::black);
    drawText(QPointF(plot.right() + yAxisWidth(y) - pt(0.5), plot.center().y()), y.label,
             font(m_style.labelPt), Qt::AlignHCenter | Qt::AlignBottom, true);
  }
}

// Long enough for two and a half dashes of a dashed line (dashes of 4 and gaps of 2.5 pen widths).
constexpr double kLegendSwatchPt = 20.0;

QRectF PlotPainter::legendBox(const QRectF& plot, const std::vector<LegendEntry>& entries,
                              Qt::Alignment corner) const {
  const QFontMetricsF metrics(font(m_style.legendPt));
  const double sample = pt(kLegendSwatchPt), gap = pt(4), pad = pt(3),
               row = metrics.height() * 1.15;
  double widest = 0.0;
  for (const auto& e : entries)
    widest = std::max(widest, metrics.horizontalAdvance(toQString(e.label)));
  const QSizeF size(pad * 2 + sample + gap + widest, pad * 2 + row * entries.size());
  const double margin = pt(4);
  const double left =
      (corner & Qt::AlignLeft) ? plot.left() + margin : plot.right() - margin - size.width();
  const double top =
      (corner & Qt::AlignBottom) ? plot.bottom() - margin - size.height() : plot.top() + margin;
  return QRectF(QPointF(left, top), size);
}

void PlotPainter::drawLegendAvoiding(const QRectF& plot, const std::vector<LegendEntry>& entries,
                                     const std::vector<QPointF>& avoid) {
  const Qt::Alignment corners[] = {Qt::AlignTop | Qt::AlignRight, Qt::AlignTop | Qt::AlignLeft,
                                   Qt::AlignBottom | Qt::AlignRight,
                                   Qt::AlignBottom | Qt::AlignLeft};
  Qt::Alignment best = corners[0];
  std::size_t fewest = SIZE_MAX;
  for (Qt::Alignment corner : corners) {
    const QRectF box = legendBox(plot, entries, corner).adjusted(-pt(2), -pt(2), pt(2), pt(2));
    std::size_t covered = 0;
    for (const QPointF& p : avoid) covered += box.contains(p);
    if (covered < fewest) fewest = covered, best = corner;
  }
  drawLegend(plot, entries, best);
}

void PlotPainter::drawLegend(const QRectF& plot, const std::vector<LegendEntry>& entries,
                             Qt::Alignment corner) {
  if (entries.empty()) return;
  const QFont f = font(m_style.legendPt);
  const QFontMetricsF metrics(f);
  const double sample = pt(kLegendSwatchPt), gap = pt(4), pad = pt(3),
               row = metrics.height() * 1.15;
  const QRectF box = legendBox(plot, entries, corner);
  const double left = box.left(), top = box.top();
  m_painter.setPen(pen(QColor(0, 0, 0, 90), 0.4));
  m_painter.setBrush(QColor(255, 255, 255, 220));
  m_painter.drawRect(box);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    LegendEntry e = entries[i];
    const double cy = top + pad + row * (i + 0.5);
    const double x0 = left + pad;
    if (e.series >= 0)
      m_legendRows.push_back(
          {QRectF(left, top + pad + row * double(i), box.width(), row), e.series});
    const QColor grey(175, 175, 175);
    if (e.greyed) e.color = grey;
    if (e.symbol == LegendEntry::Symbol::Triangle) {
      drawTriangle(QPointF(x0 + sample / 2, cy - pt(2.6) * 0.75), pt(2.6), e.color);
    } else if (e.symbol == LegendEntry::Symbol::Star) {
      drawStar(QPointF(x0 + sample / 2, cy), pt(3.5), e.color);
    } else if (e.symbol == LegendEntry::Symbol::Box) {
      m_painter.setPen(Qt::NoPen);
      m_painter.setBrush(e.color);
      m_painter.drawRect(QRectF(x0 + sample * 0.2, cy - row * 0.3, sample * 0.6, row * 0.6));
    } else {
      m_painter.setPen(pen(e.color, m_style.linePt, e.dashed));
      m_painter.drawLine(QPointF(x0, cy), QPointF(x0 + sample, cy));
      if (e.marker) {
        m_painter.setBrush(e.color);
        m_painter.setPen(Qt::NoPen);
        m_painter.drawEllipse(QPointF(x0 + sample / 2, cy), pt(1.8), pt(1.8));
      }
    }
    m_painter.setPen(e.greyed ? grey : QColor(Qt::black));
    drawText(QPointF(x0 + sample + gap, cy), e.label, f, Qt::AlignLeft | Qt::AlignVCenter);
  }
}

void PlotPainter::drawStar(const QPointF& center, double radius, const QColor& fill) {
  QPolygonF star;
  for (int i = 0; i < 10; ++i) {
    const double angle = M_PI / 2 + i * M_PI / 5;
    const double r = (i % 2 == 0) ? radius : radius * 0.42;
    star << QPointF(center.x() + r * std::cos(angle), center.y() - r * std::sin(angle));
  }
  m_painter.setPen(pen(Qt::black, 0.5));
  m_painter.setBrush(fill);
  m_painter.drawPolygon(star);
}

void PlotPainter::drawTriangle(const QPointF& apex, double size, const QColor& fill) {
  QPolygonF triangle;
  triangle << apex << QPointF(apex.x() - size * 0.75, apex.y() + size * 1.5)
           << QPointF(apex.x() + size * 0.75, apex.y() + size * 1.5);
  m_painter.setPen(pen(Qt::white, 0.3));
  m_painter.setBrush(fill);
  m_painter.drawPolygon(triangle);
}

double PlotPainter::colorBarReserve(double lo, double hi, const std::string& label) const {
  double widest = 0.0;
  for (const Tick& t : linearTicks(lo, hi, 5)) widest = std::max(widest, tickLabelWidth(t, false));
  double width = pt(8) + pt(7) + pt(m_style.tickLengthPt) + pt(2) + widest;
  if (!label.empty()) width += QFontMetricsF(font(m_style.labelPt)).height() + pt(3);
  return width;
}

void PlotPainter::drawColorBar(const QRectF& bar, const ColorMap& map, double lo, double hi,
                               const std::string& label) {
  // Stacked bands rather than an image, so PDF/SVG keep the bar as vectors; each band overlaps
  // the next slightly to hide anti-aliasing seams.
  const int bands = 96;
  m_painter.setPen(Qt::NoPen);
  for (int i = 0; i < bands; ++i) {
    const double t0 = double(i) / bands;
    const double y0 = bar.bottom() - t0 * bar.height();
    const double h = bar.height() / bands;
    m_painter.setBrush(toQColor(map.at((i + 0.5) / bands)));
    m_painter.drawRect(QRectF(bar.left(), y0 - h - (i + 1 < bands ? h * 0.5 : 0.0), bar.width(),
                              h + (i + 1 < bands ? h * 0.5 : 0.0)));
  }
  m_painter.setBrush(Qt::NoBrush);
  m_painter.setPen(pen(Qt::black, m_style.axisPt));
  m_painter.drawRect(bar);
  Axis axis;
  axis.lo = lo;
  axis.hi = hi;
  axis.ticks = linearTicks(lo, hi, 5);
  axis.label = label;
  const double tick = pt(m_style.tickLengthPt);
  double widest = 0.0;
  for (const Tick& t : axis.ticks) {
    const double py = mapY(bar, axis, t.value);
    m_painter.setPen(pen(Qt::black, m_style.axisPt));
    m_painter.drawLine(QPointF(bar.right(), py), QPointF(bar.right() + tick, py));
    m_painter.setPen(Qt::black);
    drawTickLabel(QPointF(bar.right() + tick + pt(2), py), t, false,
                  Qt::AlignLeft | Qt::AlignVCenter);
    widest = std::max(widest, tickLabelWidth(t, false));
  }
  if (!label.empty()) {
    m_painter.setPen(Qt::black);
    drawText(QPointF(bar.right() + tick + pt(2) + widest + pt(3), bar.center().y()), label,
             font(m_style.labelPt), Qt::AlignHCenter | Qt::AlignTop, true);
  }
}

}  // namespace flatland::render
