#include "chart_interaction.h"

#include <QAction>
#include <QContextMenuEvent>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>
#include <type_traits>

namespace flatland::app {

namespace {

// Axis arithmetic in the axis's own scale: log axes zoom and pan by factors.
double toScale(double v, bool log) { return log ? std::log10(v) : v; }
double fromScale(double v, bool log) { return log ? std::pow(10.0, v) : v; }

QString number(double v) { return QString::number(v, 'g', 5); }

// The series of a chart in drawing order (curves: left, then right; densities), for hiding by
// index; `leftOnly`: without the curves on a right axis. Const or not as the figure is.
template <class AnyFigure>
auto seriesOf(AnyFigure& figure, bool leftOnly = false) {
  using Series =
      std::conditional_t<std::is_const_v<AnyFigure>, const render::Series, render::Series>;
  std::vector<Series*> out;
  if (auto* c = std::get_if<render::CurvesFigure>(&figure)) {
    for (auto& s : c->left) out.push_back(&s);
    if (!leftOnly)
      for (auto& s : c->right) out.push_back(&s);
  } else if (auto* d = std::get_if<render::DensityFigure>(&figure)) {
    for (auto& s : d->densities) out.push_back(&s);
  }
  return out;
}

}  // namespace

bool ChartInteraction::supports(const render::Figure& figure) {
  return std::holds_alternative<render::CurvesFigure>(figure) ||
         std::holds_alternative<render::DensityFigure>(figure);
}

ChartInteraction::ChartInteraction(QLabel* canvas, QObject* parent)
    : QObject(parent), m_canvas(canvas) {
  canvas->setMouseTracking(true);
  canvas->installEventFilter(this);
}

render::Figure ChartInteraction::apply(const render::Figure& figure) const {
  render::Figure shown = figure;
  const auto series = seriesOf(shown);
  for (std::size_t i : m_hidden)
    if (i < series.size()) series[i]->hidden = true;
  if (auto* c = std::get_if<render::CurvesFigure>(&shown)) {
    c->legendListsHidden = true;
    if (m_smallMultiples) c->smallMultiples = *m_smallMultiples;
    c->window = m_window;
    if (m_logY) c->logY = *m_logY;
    if (m_logX) c->logX = *m_logX;
  } else if (auto* d = std::get_if<render::DensityFigure>(&shown)) {
    d->legendListsHidden = true;
    if (m_smallMultiples) d->smallMultiples = *m_smallMultiples;
    d->window = m_window;
    if (m_logY) d->logY = *m_logY;
    if (m_sigma > 0)
      for (std::size_t i = 0; i < d->densities.size() && i < d->nodes.size(); ++i)
        if (!d->nodes[i].empty())
          d->densities[i].ys =
              render::smoothedDensity(d->nodes[i], d->weights[i], d->densities[i].xs, m_sigma);
  }
  return shown;
}

void ChartInteraction::setDrawn(const render::Figure& shown, const render::PlotFrame& frame,
                                double pixelRatio) {
  m_shown = shown;
  m_frame = frame;
  m_ratio = pixelRatio;
}

QPointF ChartInteraction::toImage(const QPointF& at) const {
  // The pixmap is centred in the label; it fills it unless the label is below the minimum size.
  const QSizeF image(m_canvas->pixmap().width(), m_canvas->pixmap().height());
  const QPointF offset((m_canvas->width() * m_ratio - image.width()) / 2,
                       (m_canvas->height() * m_ratio - image.height()) / 2);
  return at * m_ratio - offset;
}

QPointF ChartInteraction::labelPointOf(double x, double y) const {
  const QPointF image(m_frame.pixelX(x), m_frame.pixelY(y));
  const QPointF origin = toImage(QPointF(0, 0));
  return (image - origin) / m_ratio;
}

std::optional<QPointF> ChartInteraction::legendPointOf(std::size_t index) const {
  const QPointF origin = toImage(QPointF(0, 0));
  for (const auto& row : m_frame.legend)
    if (row.series == int(index))
      return (QPointF(row.left + row.width / 2, row.top + row.height / 2) - origin) / m_ratio;
  return std::nullopt;
}

void ChartInteraction::zoomAt(const QPointF& at, double factor) {
  const QPointF p = toImage(at);
  if (!m_frame.contains(p.x(), p.y())) return;
  const auto scaled = [factor](double lo, double hi, double centre, bool log, double& outLo,
                               double& outHi) {
    const double c = toScale(centre, log), l = toScale(lo, log), h = toScale(hi, log);
    outLo = fromScale(c - (c - l) * factor, log);
    outHi = fromScale(c + (h - c) * factor, log);
  };
  scaled(m_frame.xLo, m_frame.xHi, m_frame.xAt(p.x()), m_frame.xLog, m_window.xLo, m_window.xHi);
  scaled(m_frame.yLo, m_frame.yHi, m_frame.yAt(p.y()), m_frame.yLog, m_window.yLo, m_window.yHi);
  Q_EMIT changed();
}

void ChartInteraction::pan(const QPointF& from, const QPointF& to) {
  const render::PlotFrame& f = m_dragFrom ? m_dragFrame : m_frame;
  if (!f.valid) return;
  const QPointF a = toImage(from), b = toImage(to);
  const auto shifted = [](double lo, double hi, bool log, double start, double end, double& outLo,
                          double& outHi) {
    const double d = toScale(start, log) - toScale(end, log);
    outLo = fromScale(toScale(lo, log) + d, log);
    outHi = fromScale(toScale(hi, log) + d, log);
  };
  shifted(f.xLo, f.xHi, f.xLog, f.xAt(a.x()), f.xAt(b.x()), m_window.xLo, m_window.xHi);
  shifted(f.yLo, f.yHi, f.yLog, f.yAt(a.y()), f.yAt(b.y()), m_window.yLo, m_window.yHi);
  Q_EMIT changed();
}

void ChartInteraction::resetWindow() {
  m_window = {};
  Q_EMIT changed();
}

QString ChartInteraction::describeAt(const QPointF& at) const {
  if (!m_frame.valid) return {};
  const QPointF p = toImage(at);
  double best = 10.0 * m_ratio;
  QString text;
  // Curves on the right axis have another y scale than the frame's: only left ones are read.
  for (const render::Series* s : seriesOf(m_shown, /*leftOnly=*/true)) {
    if (s->hidden) continue;
    for (std::size_t k = 0; k < s->xs.size() && k < s->ys.size(); ++k) {
      const double x = s->xs[k], y = s->ys[k];
      if (!std::isfinite(x) || !std::isfinite(y) || (m_frame.yLog && y <= 0) ||
          (m_frame.xLog && x <= 0))
        continue;
      const double d = std::hypot(m_frame.pixelX(x) - p.x(), m_frame.pixelY(y) - p.y());
      if (d < best) {
        best = d;
        text = QString::fromStdString(s->label) + (s->label.empty() ? "" : ": ") +
               "x = " + number(x) + ", y = " + number(y);
      }
    }
  }
  return text;
}

void ChartInteraction::setSeriesHidden(std::size_t index, bool hidden) {
  // The last shown series stays: a chart of nothing has no legend to click it back from.
  const std::size_t count = seriesOf(m_shown).size();
  if (hidden && count > 0 && !m_hidden.count(index) && m_hidden.size() + 1 >= count) return;
  if (hidden)
    m_hidden.insert(index);
  else
    m_hidden.erase(index);
  Q_EMIT changed();
}

void ChartInteraction::setLogY(bool logY) {
  m_logY = logY;
  m_window.yLo = m_window.yHi =
      render::kNoValue;  // a window of one scale means little in the other
  Q_EMIT changed();
}

void ChartInteraction::setLogX(bool logX) {
  m_logX = logX;
  m_window.xLo = m_window.xHi = render::kNoValue;
  Q_EMIT changed();
}

void ChartInteraction::setSmallMultiples(bool on) {
  m_smallMultiples = on;
  m_window = {};  // a window zoomed on one panel means little on the others
  Q_EMIT changed();
}

void ChartInteraction::setSmoothing(double sigma) {
  m_sigma = sigma;
  Q_EMIT changed();
}

QMenu* ChartInteraction::menuFor(const render::Figure& figure) {
  auto* menu = new QMenu(m_canvas);
  menu->addAction("Show all the data", this, &ChartInteraction::resetWindow)
      ->setObjectName("resetZoom");
  const render::Figure shown = apply(figure);
  const bool isDensity = std::holds_alternative<render::DensityFigure>(shown);
  const bool logY = isDensity ? std::get<render::DensityFigure>(shown).logY
                              : std::get<render::CurvesFigure>(shown).logY;
  QAction* logYAction = menu->addAction("Log y axis", this, &ChartInteraction::setLogY);
  logYAction->setCheckable(true);
  logYAction->setChecked(logY);
  logYAction->setObjectName("logY");
  if (!isDensity) {
    QAction* logX = menu->addAction("Log x axis", this, &ChartInteraction::setLogX);
    logX->setCheckable(true);
    logX->setChecked(std::get<render::CurvesFigure>(shown).logX);
    logX->setObjectName("logX");
  }
  const auto series = seriesOf(shown);
  if (seriesOf(shown, /*leftOnly=*/true).size() > 1) {
    QAction* panels =
        menu->addAction("One panel per series", this, &ChartInteraction::setSmallMultiples);
    panels->setCheckable(true);
    panels->setChecked(isDensity ? std::get<render::DensityFigure>(shown).smallMultiples
                                 : std::get<render::CurvesFigure>(shown).smallMultiples);
    panels->setObjectName("smallMultiples");
  }
  if (series.size() > 1) {
    QMenu* shownSeries = menu->addMenu("Series");
    shownSeries->setObjectName("series");
    for (std::size_t i = 0; i < series.size(); ++i) {
      const QString label = series[i]->label.empty() ? QString("series %1").arg(i + 1)
                                                     : QString::fromStdString(series[i]->label);
      QAction* toggle = shownSeries->addAction(
          label, this, [this, i](bool checked) { setSeriesHidden(i, !checked); });
      toggle->setCheckable(true);
      toggle->setChecked(!m_hidden.count(i));
    }
  }
  if (isDensity) {
    menu->addAction("Smoothing width \u03c3…", this, [this] {
      bool ok = false;
      const double sigma = QInputDialog::getDouble(m_canvas, "Smoothing",
                                                   "Gaussian kernel width \u03c3 (0: as stored)",
                                                   m_sigma, 0.0, 1e6, 6, &ok);
      if (ok) setSmoothing(sigma);
    });
  }
  return menu;
}

bool ChartInteraction::eventFilter(QObject* watched, QEvent* event) {
  if (watched != m_canvas) return false;
  switch (event->type()) {
    case QEvent::Wheel: {
      auto* wheel = static_cast<QWheelEvent*>(event);
      if (wheel->angleDelta().y() == 0) return false;
      zoomAt(wheel->position(), wheel->angleDelta().y() > 0 ? 0.8 : 1.25);
      return true;
    }
    case QEvent::MouseButtonPress: {
      auto* mouse = static_cast<QMouseEvent*>(event);
      if (mouse->button() != Qt::LeftButton) return false;
      const QPointF pixel = toImage(mouse->position());
      if (const int series = m_frame.legendSeriesAt(pixel.x(), pixel.y()); series >= 0) {
        setSeriesHidden(std::size_t(series), !m_hidden.count(std::size_t(series)));
        return true;
      }
      m_dragFrom = mouse->position();
      m_dragFrame = m_frame;
      return true;
    }
    case QEvent::MouseMove: {
      auto* mouse = static_cast<QMouseEvent*>(event);
      if (m_dragFrom && (mouse->buttons() & Qt::LeftButton)) {
        pan(*m_dragFrom, mouse->position());
        return true;
      }
      const QString text = describeAt(mouse->position());
      if (text.isEmpty())
        QToolTip::hideText();
      else
        QToolTip::showText(mouse->globalPosition().toPoint(), text, m_canvas);
      return true;
    }
    case QEvent::MouseButtonRelease:
      m_dragFrom.reset();
      return false;
    case QEvent::MouseButtonDblClick:
      resetWindow();
      return true;
    default:
      return false;
  }
}

}  // namespace flatland::app
