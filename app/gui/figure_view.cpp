#include "figure_view.h"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

#include "chart_interaction.h"
#include "flatland/errors.h"
#include "flatland/render/export_figure.h"
#include "flatland/render/vtk_landscape_widget.h"
#include "project_figures.h"
#include "view_titles.h"

namespace flatland::app {

FigureView::FigureView(render::Figure figure, QWidget* parent)
    : QWidget(parent), m_figure(std::move(figure)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  auto* exportButton = new QPushButton("Export figure…");
  exportButton->setObjectName("exportFigure");
  auto* csvButton = new QPushButton("Export data (CSV)…");
  connect(exportButton, &QPushButton::clicked, this, &FigureView::exportInteractively);
  connect(csvButton, &QPushButton::clicked, this, &FigureView::exportCsvInteractively);
  bar->addWidget(new QLabel(QString::fromStdString(render::figureKind(m_figure))));
  bar->addStretch();
  bar->addWidget(csvButton);
  bar->addWidget(exportButton);
  layout->addLayout(bar);
  if (render::isThreeDimensional(m_figure)) {
    m_scene = new render::VtkLandscapeWidget(this);
    m_scene->setObjectName("scene");
    m_scene->setToolTip(
        "Drag to rotate, shift+drag or middle button to pan, wheel to zoom, R or View → Reset "
        "camera to reset");
    m_scene->setMinimumSize(200, 150);
    layout->addWidget(m_scene, 1);
    // Takes the scene's place when a figure cannot be drawn (no modal box: redraws are timed).
    m_sceneProblem = new QLabel(this);
    m_sceneProblem->setObjectName("sceneProblem");
    m_sceneProblem->setAlignment(Qt::AlignCenter);
    m_sceneProblem->setWordWrap(true);
    m_sceneProblem->hide();
    layout->addWidget(m_sceneProblem, 1);
  } else {
    m_image = new QLabel(this);
    m_image->setObjectName("chartImage");
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setMinimumSize(200, 150);
    m_image->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    layout->addWidget(m_image, 1);
    if (ChartInteraction::supports(m_figure)) {
      m_chart = new ChartInteraction(m_image, this);
      connect(m_chart, &ChartInteraction::changed, this, &FigureView::redraw);
      m_image->setContextMenuPolicy(Qt::CustomContextMenu);
      connect(m_image, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        QMenu* menu = m_chart->menuFor(m_figure);
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_image->mapToGlobal(at));
      });
      auto* hint = new QLabel(
          "wheel: zoom · drag: pan · hover: values · double-click: all the data · right-click: "
          "axes, series" +
          QString(std::holds_alternative<render::DensityFigure>(m_figure) ? ", smoothing" : ""));
      hint->setObjectName("chartHint");
      hint->setStyleSheet("color: gray");
      layout->addWidget(hint);
      if (auto* density = std::get_if<render::DensityFigure>(&m_figure))
        addSmoothingSlider(*density, layout);
    }
  }
  m_redrawTimer = new QTimer(this);
  m_redrawTimer->setSingleShot(true);
  m_redrawTimer->setInterval(150);  // redraw once the user stops resizing
  connect(m_redrawTimer, &QTimer::timeout, this, &FigureView::redraw);
  m_redrawTimer->start();
}

void FigureView::addSmoothingSlider(const render::DensityFigure& density, QVBoxLayout* layout) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& rows : density.nodes)
    for (const auto& row : rows)
      for (double node : row)
        if (std::isfinite(node)) lo = std::min(lo, node), hi = std::max(hi, node);
  if (!(hi >= lo)) return;  // no nodes stored: nothing to smooth again
  // Around PyHessian's kernel width √(1e-5·max(1, range)), two decades either way.
  const double stored = std::sqrt(1e-5 * std::max(1.0, hi - lo));
  auto* row = new QHBoxLayout;
  auto* slider = new QSlider(Qt::Horizontal);
  slider->setObjectName("smoothing");
  slider->setRange(0, 100);
  slider->setValue(50);
  auto* value = new QLabel("as computed");
  value->setMinimumWidth(120);
  row->addWidget(new QLabel("Smoothing \u03c3"));
  row->addWidget(slider, 1);
  row->addWidget(value);
  layout->addLayout(row);
  connect(slider, &QSlider::valueChanged, this, [this, stored, value](int position) {
    const double sigma = stored * std::pow(10.0, (position - 50) / 25.0);
    value->setText(QString("\u03c3 = %1").arg(sigma, 0, 'g', 3));
    m_chart->setSmoothing(sigma);
  });
}

void FigureView::setFigure(render::Figure figure) {
  m_figure = std::move(figure);
  m_redrawTimer->start();
}

void FigureView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  m_redrawTimer->start();
}

void FigureView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_redrawWhenShown) redraw();
}

void FigureView::redraw() {
  if (!isVisible()) {
    m_redrawWhenShown = true;
    return;
  }
  m_redrawWhenShown = false;
  if (m_scene) {
    try {
      m_scene->setFigure(withViewSettings());
      m_sceneProblem->hide();
      m_scene->show();
    } catch (const Error& e) {
      m_scene->hide();
      m_sceneProblem->setText(QString("Cannot draw this view: ") + e.what());
      m_sceneProblem->show();
    }
    return;
  }
  QTemporaryDir dir;
  const QString path = dir.filePath("view.png");
  const qreal ratio = devicePixelRatioF();
  const int w = std::max(200, int(m_image->width() * ratio)),
            h = std::max(150, int(m_image->height() * ratio));
  try {
    // On screen the figure is drawn at screen resolution (96 DPI) so text keeps a readable size.
    render::ExportOptions options;
    options.width = w, options.height = h, options.dpi = 96.0 * ratio;
    const render::Figure shown = figureAsShown();
    render::PlotFrame frame;
    render::exportFigure(shown, path.toStdString(), options, &frame);
    if (m_chart) m_chart->setDrawn(shown, frame, ratio);
    QPixmap pixmap(path);
    pixmap.setDevicePixelRatio(ratio);
    m_image->setPixmap(pixmap);
  } catch (const Error& e) {
    m_image->setText(QString("Cannot draw this view: ") + e.what());
  }
}

void FigureView::setSharedLossRange(std::optional<std::pair<double, double>> range) {
  if (range == m_sharedRange) return;
  m_sharedRange = range;
  m_redrawTimer->start();
}

render::Figure FigureView::withViewSettings() const {
  render::Figure shown = m_chart ? m_chart->apply(m_figure) : m_figure;
  const auto share = [this](render::SurfaceFigure& s) {
    s.scale.fixedLo = m_sharedRange ? m_sharedRange->first : render::kNoValue;
    s.scale.fixedHi = m_sharedRange ? m_sharedRange->second : render::kNoValue;
  };
  if (auto* s = std::get_if<render::SurfaceFigure>(&shown)) share(*s);
  if (auto* c = std::get_if<render::ContourMapFigure>(&shown)) share(c->surface);
  return shown;
}

render::Figure FigureView::figureAsShown() const {
  if (m_scene && m_scene->hasFigure()) {
    // The widget's figure may be older than m_figure (a redraw pending): take only its angles.
    render::Figure shown = withViewSettings();
    const render::Figure seen = m_scene->figureAsSeen();
    if (shown.index() == seen.index()) {
      if (auto* s = std::get_if<render::SurfaceFigure>(&shown)) {
        const auto& from = std::get<render::SurfaceFigure>(seen);
        s->elevation = from.elevation, s->azimuth = from.azimuth;
      } else if (auto* c = std::get_if<render::ComparisonFigure>(&shown)) {
        const auto& from = std::get<render::ComparisonFigure>(seen);
        for (std::size_t i = 0; i < c->panels.size() && i < from.panels.size(); ++i)
          c->panels[i].elevation = from.panels[i].elevation,
          c->panels[i].azimuth = from.panels[i].azimuth;
      } else if (auto* v = std::get_if<render::VolumeFigure>(&shown)) {
        const auto& from = std::get<render::VolumeFigure>(seen);
        v->elevation = from.elevation, v->azimuth = from.azimuth;
      }
    }
    return shown;
  }
  return withViewSettings();
}

void FigureView::exportTo(const QString& path, int width, int height, double dpi,
                          bool transparent) const {
  render::ExportOptions options;
  options.width = width;
  options.height = height;
  options.dpi = dpi;
  options.transparent = transparent;
  // A paper's legend leaves hidden series out: greyed rows are for clicking on screen.
  render::Figure shown = figureAsShown();
  if (auto* c = std::get_if<render::CurvesFigure>(&shown)) c->legendListsHidden = false;
  if (auto* d = std::get_if<render::DensityFigure>(&shown)) d->legendListsHidden = false;
  render::exportFigure(shown, path.toStdString(), options);
}

namespace {
const char* kExportFolderKey = "export/lastFolder";
}

QString FigureView::suggestedExportPath(const QString& extension) const {
  QString folder = QSettings().value(kExportFolderKey).toString();
  if (folder.isEmpty() || !QDir(folder).exists()) folder = m_projectFolder;
  if (folder.isEmpty() || !QDir(folder).exists()) folder = QDir::homePath();
  const QString stem = fileStemOf(
      m_title.isEmpty() ? QString::fromStdString(render::figureKind(m_figure)) : m_title);
  return QDir(folder).filePath(stem + "." + extension);
}

void FigureView::rememberExportFolder(const QString& path) {
  QSettings().setValue(kExportFolderKey, QFileInfo(path).absolutePath());
}

bool FigureView::resetCamera() {
  if (!m_scene || !m_scene->hasFigure()) return false;
  m_scene->resetCamera();
  return true;
}

void FigureView::exportInteractively() {
  const QString path = QFileDialog::getSaveFileName(
      this, "Export figure", suggestedExportPath("pdf"), "PDF (*.pdf);;SVG (*.svg);;PNG (*.png)");
  if (path.isEmpty()) return;
  rememberExportFolder(path);
  QDialog dialog(this);
  dialog.setWindowTitle("Figure size");
  auto* form = new QFormLayout(&dialog);
  auto* inchesW = new QDoubleSpinBox;
  inchesW->setRange(1.0, 20.0);
  inchesW->setValue(3.5);  // one column of a two-column paper
  inchesW->setSuffix(" in");
  auto* inchesH = new QDoubleSpinBox;
  inchesH->setRange(1.0, 20.0);
  inchesH->setValue(2.6);
  inchesH->setSuffix(" in");
  auto* dpi = new QSpinBox;
  dpi->setRange(72, 1200);
  dpi->setValue(300);
  auto* transparent = new QCheckBox("transparent background");
  form->addRow("Width", inchesW);
  form->addRow("Height", inchesH);
  form->addRow("DPI", dpi);
  form->addRow(transparent);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  try {
    exportTo(path, int(inchesW->value() * dpi->value()), int(inchesH->value() * dpi->value()),
             dpi->value(), transparent->isChecked());
  } catch (const Error& e) {
    QMessageBox::warning(this, "Export failed", e.what());
  }
}

void FigureView::exportCsvInteractively() {
  const QString path =
      QFileDialog::getSaveFileName(this, "Export data", suggestedExportPath("csv"), "CSV (*.csv)");
  if (path.isEmpty()) return;
  rememberExportFolder(path);
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
    QMessageBox::warning(this, "Export failed", "Cannot write " + path + ": " + file.errorString());
    return;
  }
  file.write(QByteArray::fromStdString(figureCsv(m_figure)));
}

}  // namespace flatland::app
