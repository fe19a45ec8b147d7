#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "build_info.h"
#include "figure_view.h"
#include "flatland/analysis/direction_choices.h"
#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "job_panel.h"
#include "job_queue.h"
#include "launch_forms.h"
#include "project_browser.h"
#include "project_figures.h"
#include "setting_widgets.h"
#include "view_titles.h"

namespace flatland::app {

namespace {

QWidget* scrollable(QWidget* w) {
  auto* area = new QScrollArea;
  area->setWidget(w);
  area->setWidgetResizable(true);
  return area;
}

// Tabs remember which entry and figure they show, so a refresh can redraw them in place.
const char* kEntryProperty = "flatlandEntry";
const char* kFigureProperty = "flatlandFigure";
// Figures named so are a Hessian analysis's per-class views.
const std::string kPerClassPrefix = "per-class-";

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("Flatland");
  const QScreen* screen = QGuiApplication::primaryScreen();
  resize(screen ? initialSize(screen->availableGeometry()) : QSize(1280, 800));
  m_jobs = new JobQueue(this);

  m_views = new QTabWidget;
  m_views->setObjectName("views");
  m_views->setTabsClosable(true);
  m_views->setDocumentMode(true);
  connect(m_views, &QTabWidget::tabCloseRequested, this,
          [this](int i) { delete m_views->widget(i); });
  connect(m_views, &QTabWidget::currentChanged, this, [this] { updateViewActions(); });
  setCentralWidget(m_views);

  m_browser = new ProjectBrowser;
  auto* browserDock = new QDockWidget("Project", this);
  browserDock->setObjectName("projectDock");
  browserDock->setWidget(m_browser);
  addDockWidget(Qt::LeftDockWidgetArea, browserDock);
  connect(m_browser, &QTreeWidget::itemSelectionChanged, this, &MainWindow::useSelectedRunInForms);
  m_browser->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_browser, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    const QTreeWidgetItem* item = m_browser->itemAt(at);
    const QString entry = item ? item->data(0, Qt::UserRole).toString() : QString();
    if (entry.isEmpty()) return;
    QMenu* menu = contextMenuFor(entry);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(m_browser->viewport()->mapToGlobal(at));
  });
  connect(m_browser, &ProjectBrowser::openRequested, this, [this](const QString& entry) {
    auto problem = openEntry(entry);
    if (!problem.isEmpty()) QMessageBox::warning(this, "Cannot open", problem);
  });

  auto path = [this] { return m_projectPath; };
  m_trainForm = new TrainForm(path);
  m_hessianForm = new HessianForm(path);
  m_surfaceForm = new SurfaceForm(path);
  m_quantizeForm = new QuantizeForm(path);
  m_robustnessForm = new RobustnessForm(path);
  m_sharpnessForm = new SharpnessForm(path);
  m_connectForm = new ConnectForm(path);
  m_forms = new QTabWidget;
  m_forms->setObjectName("forms");
  m_forms->addTab(scrollable(m_trainForm), "Train");
  m_forms->addTab(scrollable(m_hessianForm), "Hessian");
  m_forms->addTab(scrollable(m_surfaceForm), "Surface");
  m_forms->addTab(scrollable(m_quantizeForm), "Quantize");
  m_forms->addTab(scrollable(m_robustnessForm), "Robustness");
  m_forms->addTab(scrollable(m_sharpnessForm), "Sharpness");
  m_forms->addTab(scrollable(m_connectForm), "Connect");
  auto* formDock = new QDockWidget("Run a job", this);
  formDock->setObjectName("formDock");
  formDock->setWidget(m_forms);
  addDockWidget(Qt::RightDockWidgetArea, formDock);
  for (LaunchForm* form :
       std::initializer_list<LaunchForm*>{m_trainForm, m_hessianForm, m_surfaceForm, m_quantizeForm,
                                          m_robustnessForm, m_sharpnessForm, m_connectForm})
    connect(form, &LaunchForm::submitted, this,
            [this](const JobRequest& job) { m_jobs->enqueue(job); });

  m_jobPanel = new JobPanel(*m_jobs);
  auto* jobDock = new QDockWidget("Jobs", this);
  jobDock->setObjectName("jobDock");
  jobDock->setWidget(m_jobPanel);
  addDockWidget(Qt::BottomDockWidgetArea, jobDock);

  // While jobs run, re-read the project every two seconds: a surface fills in, a run's curves
  // grow. Each write is atomic, so a read never sees half a block.
  m_liveRefresh = new QTimer(this);
  m_liveRefresh->setInterval(2000);
  connect(m_liveRefresh, &QTimer::timeout, this, [this] {
    refreshProject();
    refreshOpenViews();
    openNewEntries();
  });
  connect(m_jobs, &JobQueue::jobStarted, m_liveRefresh, qOverload<>(&QTimer::start));
  connect(m_jobs, &JobQueue::jobFinished, this, [this](int, bool ok, bool, const QString& message) {
    if (!m_jobs->busy()) m_liveRefresh->stop();
    refreshProject();
    refreshOpenViews();
    for (auto* form : findChildren<LaunchForm*>()) form->revalidate();
    statusBar()->showMessage(message, 10000);
    if (!ok && !message.startsWith("cancelled")) QMessageBox::warning(this, "Job failed", message);
    // A finished analysis opens by itself (once: it may already have opened while running).
    const QString stored = "stored /";
    if (ok && message.startsWith(stored) && isAnalysisEntry(message.mid(stored.size()))) {
      const QString entry = message.mid(stored.size());  // "analyses/NAME"
      m_knownEntries.insert(entry);
      if (!hasOpenView(entry)) openEntry(entry);
    }
    openNewEntries();
  });

  m_docks = {browserDock, formDock, jobDock};
  // The views get the room: the browser is a column, the job panel a strip tall enough for
  // several jobs. On a narrow screen (1280 wide) the columns give up some of their width.
  const int w = width();
  resizeDocks({browserDock, formDock}, {std::min(340, w / 4), std::min(380, int(w * 0.29))},
              Qt::Horizontal);
  resizeDocks({jobDock}, {std::clamp(height() / 4, 150, 230)}, Qt::Vertical);

  buildMenus();
  updateViewActions();
  restoreFormValues();
  statusBar()->showMessage("Open or create a project to begin (File menu).");
  QSettings settings;
  if (restoreGeometry(settings.value("window/geometry").toByteArray()) && screen) {
    // A window saved on a larger screen must still fit this one.
    const QRect free = screen->availableGeometry();
    if (width() > free.width() || height() > free.height()) resize(initialSize(free));
  }
}

QSize MainWindow::initialSize(const QRect& availableScreen) {
  // A window manager adds a title bar and borders outside the size we set.
  const QSize room = availableScreen.size() - QSize(16, 40);
  return QSize(1400, 900).boundedTo(room).expandedTo(QSize(640, 480));
}

MainWindow::~MainWindow() {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  saveFormValues();
}

namespace {

// The widgets of a form that hold a setting's value: named after the setting's key (Qt's own
// inner widgets are named qt_…), names of new results left out.
QList<QWidget*> formValueWidgets(QWidget* form) {
  QList<QWidget*> out;
  for (QWidget* w : form->findChildren<QWidget*>()) {
    const QString key = w->objectName();
    if (key.isEmpty() || key.startsWith("qt_") || key == "run" || key == "name" ||
        !holdsSettingValue(w))
      continue;
    out << w;
  }
  return out;
}

}  // namespace

void MainWindow::saveFormValues() const {
  QSettings settings;
  for (int i = 0; i < m_forms->count(); ++i)
    for (QWidget* w : formValueWidgets(m_forms->widget(i)))
      settings.setValue("forms/" + m_forms->tabText(i) + "/" + w->objectName(), settingText(w));
}

void MainWindow::restoreFormValues() {
  QSettings settings;
  for (int i = 0; i < m_forms->count(); ++i)
    for (QWidget* w : formValueWidgets(m_forms->widget(i))) {
      const QString key = "forms/" + m_forms->tabText(i) + "/" + w->objectName();
      if (settings.contains(key)) setSettingText(w, settings.value(key).toString());
    }
}

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu("&File");
  file->addAction("&New project…", QKeySequence::New, this, &MainWindow::newProjectDialog);
  file->addAction("&Open project…", QKeySequence::Open, this, &MainWindow::openProjectDialog);
  m_recentMenu = file->addMenu("Recent projects");
  rebuildRecentMenu();
  file->addSeparator();
  file->addAction("&Export current figure…", QKeySequence("Ctrl+E"), this,
                  &MainWindow::exportCurrentFigure);
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, qApp, &QApplication::closeAllWindows);
  auto* view = menuBar()->addMenu("&View");
  view->addAction("&Open selected", this, [this] {
    for (auto& e : m_browser->selectedEntries())
      if (auto p = openEntry(e); !p.isEmpty()) QMessageBox::warning(this, "Cannot open", p);
  });
  view->addAction("&Compare selected analyses", QKeySequence("Ctrl+K"), this, [this] {
    if (auto p = compare(m_browser->selectedEntries()); !p.isEmpty())
      QMessageBox::warning(this, "Cannot compare", p);
  });
  view->addAction("&Refresh", QKeySequence::Refresh, this, [this] {
    refreshProject();
    refreshOpenViews();
  });
  view->addSeparator();
  m_sameLossRange = view->addAction("Same &loss range in all surface views", this,
                                    &MainWindow::applySharedLossRange);
  m_sameLossRange->setObjectName("sameLossRange");
  m_sameLossRange->setCheckable(true);
  m_sameLossRange->setStatusTip(
      "Draw every open loss surface and contour map on one loss scale, so their heights and "
      "colours compare");
  m_resetCamera = view->addAction("Reset &camera", QKeySequence("Ctrl+0"), this,
                                  &MainWindow::resetCurrentCamera);
  m_resetCamera->setObjectName("resetCamera");
  m_resetCamera->setStatusTip(
      "Turn the current 3-D view back to its first angle (also R in the view)");
  view->addSeparator();
  // Closed panels come back from here.
  auto* panels = view->addMenu("&Panels");
  for (QDockWidget* dock : m_docks) {
    QAction* toggle = dock->toggleViewAction();
    toggle->setObjectName("show" + dock->objectName());
    panels->addAction(toggle);
  }

  auto* help = menuBar()->addMenu("&Help");
  auto* docs = help->addAction("&Documentation", QKeySequence::HelpContents, this, [this] {
    const QString readme = documentationPath();
    if (readme.isEmpty() || !QDesktopServices::openUrl(QUrl::fromLocalFile(readme)))
      QMessageBox::information(
          this, "Documentation",
          "The documentation is the README and the docs folder of Flatland's sources" +
              (readme.isEmpty() ? QString(".") : ": " + QFileInfo(readme).absolutePath()));
  });
  docs->setObjectName("helpDocumentation");
  auto* docsFolder = help->addAction("Documentation &folder", this, [this] {
    const QString readme = documentationPath();
    const QString folder = readme.isEmpty() ? QString() : QFileInfo(readme).dir().filePath("docs");
    if (folder.isEmpty() || !QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
      QMessageBox::information(this, "Documentation",
                               folder.isEmpty() ? "The docs folder was not found." : folder);
  });
  docsFolder->setObjectName("helpDocsFolder");
  auto* keys = help->addAction("&Keyboard shortcuts", this, [this] {
    QMessageBox box(QMessageBox::NoIcon, "Keyboard shortcuts", shortcutsText(), QMessageBox::Close,
                    this);
    box.setTextFormat(Qt::RichText);
    box.exec();
  });
  keys->setObjectName("helpShortcuts");
  auto* about = help->addAction(
      "&About Flatland", this, [this] { QMessageBox::about(this, "About Flatland", aboutText()); });
  about->setObjectName("helpAbout");
}

QString MainWindow::documentationPath() {
  const QStringList candidates = {QStringLiteral(FLATLAND_INSTALLED_DOCS "/README.md"),
                                  QStringLiteral(FLATLAND_SOURCE_DOCS "/README.md")};
  for (const QString& path : candidates)
    if (QFileInfo::exists(path)) return QFileInfo(path).canonicalFilePath();
  return {};
}

QString MainWindow::aboutText() {
  return QString(
             "<h3>Flatland %1</h3>"
             "<p>Loss landscapes of neural networks: Hessian spectra, loss surfaces and "
             "sharpness-aware training.</p>"
             "<p>LibTorch %2<br>Qt %3<br>Devices seen: %4</p>")
      .arg(QString::fromStdString(flatlandVersion()), QString::fromStdString(libtorchVersion()),
           qVersion(), QString::fromStdString(devicesSeen()));
}

QString MainWindow::shortcutsText() {
  const QList<QPair<QString, QString>> keys = {
      {"Ctrl+N / Ctrl+O", "new / open project"},
      {"Ctrl+E", "export the current figure"},
      {"Ctrl+K", "compare the selected runs or analyses"},
      {"F5", "refresh the project"},
      {"Ctrl+0", "reset the camera of the current 3-D view"},
      {"Double-click", "open a run or an analysis"},
      {"Ctrl+Q", "quit"},
      {"In a 3-D view:", ""},
      {"Drag", "rotate"},
      {"Shift+drag, middle button", "pan"},
      {"Wheel, + and −", "zoom"},
      {"Arrow keys", "turn"},
      {"R, Home", "reset the camera"}};
  QString html = "<table cellspacing='4'>";
  for (const auto& [key, what] : keys)
    html += what.isEmpty()
                ? QString("<tr><td colspan='2'><b>%1</b></td></tr>").arg(key)
                : QString("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(key.toHtmlEscaped(), what);
  return html + "</table>";
}

void MainWindow::resetCurrentCamera() {
  if (auto* view = currentView()) view->resetCamera();
}

void MainWindow::updateViewActions() {
  if (!m_resetCamera) return;
  auto* view = currentView();
  m_resetCamera->setEnabled(view && render::isThreeDimensional(view->figure()));
}

std::vector<FigureView*> MainWindow::viewsOfTab(int index) const {
  QWidget* tab = m_views->widget(index);
  if (auto* view = qobject_cast<FigureView*>(tab)) return {view};
  std::vector<FigureView*> out;
  if (auto* group = qobject_cast<QTabWidget*>(tab))
    for (int i = 0; i < group->count(); ++i)
      if (auto* view = qobject_cast<FigureView*>(group->widget(i))) out.push_back(view);
  return out;
}

FigureView* MainWindow::currentView() const {
  QWidget* tab = m_views->currentWidget();
  if (auto* group = qobject_cast<QTabWidget*>(tab)) tab = group->currentWidget();
  return qobject_cast<FigureView*>(tab);
}

void MainWindow::prepareView(FigureView* view, const QString& title) {
  view->setTitle(title);
  view->setProjectFolder(QFileInfo(m_projectPath).absolutePath());
}

int MainWindow::addView(FigureView* view, const QString& title) {
  prepareView(view, title);
  const int index = m_views->addTab(view, title);
  m_views->setTabToolTip(index, title);
  if (m_sameLossRange && m_sameLossRange->isChecked()) applySharedLossRange();
  return index;
}

void MainWindow::applySharedLossRange() {
  // The views of weight-space loss surfaces (not input-space ones, whose losses are another
  // quantity).
  std::vector<FigureView*> surfaces;
  for (int i = 0; i < m_views->count(); ++i)
    for (FigureView* view : viewsOfTab(i)) {
      const QString name = view->property(kFigureProperty).toString();
      if (name == "surface" || name == "contour" || name == "contour-test")
        surfaces.push_back(view);
    }
  std::optional<std::pair<double, double>> range;
  if (m_sameLossRange->isChecked()) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (FigureView* view : surfaces) {
      const render::Figure& f = view->figure();
      const render::SurfaceGrid* grid = std::holds_alternative<render::SurfaceFigure>(f)
                                            ? &std::get<render::SurfaceFigure>(f).grid
                                        : std::holds_alternative<render::ContourMapFigure>(f)
                                            ? &std::get<render::ContourMapFigure>(f).surface.grid
                                            : nullptr;
      if (grid)
        for (double v : grid->values)
          if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (hi > lo) range = std::pair{lo, hi};
  }
  for (FigureView* view : surfaces) view->setSharedLossRange(range);
}

QString MainWindow::openProject(const QString& path, bool interactive) {
  try {
    training::ProjectFile::openOrCreate(path.toStdString());
    m_projectPath = QFileInfo(path).absoluteFilePath();
    m_browser->load(m_projectPath);
  } catch (const Error& e) {
    if (interactive) QMessageBox::warning(this, "Cannot open project", e.what());
    return e.what();
  }
  while (m_views->count() > 0) delete m_views->widget(0);
  const QStringList listed = m_browser->entries();
  m_knownEntries = QSet<QString>(listed.begin(), listed.end());
  setWindowTitle("Flatland — " + QFileInfo(m_projectPath).fileName());
  statusBar()->showMessage(m_projectPath);
  rememberRecent(m_projectPath);
  m_trainForm->suggestFreeRunName();
  offerProjectModels();
  for (auto* form : findChildren<LaunchForm*>()) form->revalidate();
  return {};
}

void MainWindow::offerProjectModels() {
  const QStringList specs = projectModelSpecs(m_projectPath);
  for (auto* fields : findChildren<ModelDataFields*>()) fields->setProjectModels(specs);
}

void MainWindow::showForm(QWidget* form) {
  for (int i = 0; i < m_forms->count(); ++i)
    if (m_forms->widget(i)->isAncestorOf(form)) m_forms->setCurrentIndex(i);
}

QMenu* MainWindow::contextMenuFor(const QString& entry) {
  auto* menu = new QMenu(this);
  const QString name = entry.section('/', 1);
  menu->addAction("Open", this, [this, entry] {
    if (auto p = openEntry(entry); !p.isEmpty()) QMessageBox::warning(this, "Cannot open", p);
  });
  if (isRunEntry(entry) && !m_projectPath.isEmpty()) {
    const QString spec = m_projectPath + ":/" + entry;
    menu->addSeparator();
    const auto offer = [&](const char* objectName, const QString& text, LaunchForm* form,
                           ModelDataFields* fields) {
      QAction* action = menu->addAction(text, this, [this, spec, form, fields] {
        fields->setModel(spec);
        showForm(form);
      });
      action->setObjectName(objectName);
    };
    offer("hessianOfThis", "Hessian of " + name + "…", m_hessianForm, m_hessianForm->input);
    offer("surfaceOfThis", "Surface around " + name + "…", m_surfaceForm, m_surfaceForm->input);
    offer("quantizeThis", "Quantize " + name + "…", m_quantizeForm, m_quantizeForm->input);
    offer("robustnessOfThis", "Robustness of " + name + "…", m_robustnessForm,
          m_robustnessForm->input);
    offer("sharpnessOfThis", "Sharpness of " + name + "…", m_sharpnessForm, m_sharpnessForm->input);
    offer("connectFromThis", "Connect " + name + " to…", m_connectForm, m_connectForm->input);
  } else if (isAnalysisEntry(entry)) {
    // The directions a surface can take from this analysis: a surface's own (shared), a
    // Hessian's top eigenvectors, or a connectivity analysis's plane.
    std::string kind;
    try {
      kind = training::ProjectFile::open(m_projectPath.toStdString())
                 .read(schema::analysisPath(name.toStdString()), false)
                 .text(schema::kKind);
    } catch (const Error&) {
    }
    using analysis::DirectionKind;
    const auto directions = kind == schema::kKindSurface   ? DirectionKind::Random
                            : kind == schema::kKindHessian ? DirectionKind::Eigen
                                                           : DirectionKind::Plane;
    if (kind == schema::kKindSurface || kind == schema::kKindHessian ||
        kind == schema::kKindConnectivity) {
      menu->addSeparator();
      QAction* along = menu->addAction(
          "Surface along the directions of " + name + "…", this, [this, name, directions] {
            m_surfaceForm->directions->setCurrentText(
                QString::fromStdString(analysis::toString(directions)));
            m_surfaceForm->fromAnalysis->setText(name);
            showForm(m_surfaceForm);
          });
      along->setObjectName("surfaceAlongThis");
    }
  }
  menu->addSeparator();
  const QStringList selected = m_browser->selectedEntries();
  QAction* compareSelected =
      menu->addAction("Compare with the other selected (Ctrl+K)", this, [this, selected] {
        if (auto p = compare(selected); !p.isEmpty())
          QMessageBox::warning(this, "Cannot compare", p);
      });
  compareSelected->setObjectName("compareSelected");
  compareSelected->setEnabled(selected.size() >= 2 && selected.contains(entry));
  return menu;
}

void MainWindow::useSelectedRunInForms() {
  const QStringList selected = m_browser->selectedEntries();
  if (selected.size() != 1 || !isRunEntry(selected.front()) || m_projectPath.isEmpty()) return;
  // Only a newly chosen run: the live refresh re-selects the same one, and must not overwrite a
  // model typed since.
  const QString spec = m_projectPath + ":/" + selected.front();
  if (spec == m_runInForms) return;
  m_runInForms = spec;
  // Not the Train form's: training from a run's weights is a choice made there.
  for (ModelDataFields* fields :
       {m_hessianForm->input, m_surfaceForm->input, m_quantizeForm->input, m_robustnessForm->input,
        m_sharpnessForm->input, m_connectForm->input})
    fields->setModel(spec);
}

QString MainWindow::openEntry(const QString& entry) {
  if (m_projectPath.isEmpty()) return "no project is open";
  try {
    training::ProjectFile project = training::ProjectFile::open(m_projectPath.toStdString());
    const QString name = entry.section('/', 1);
    auto figures = isRunEntry(entry) ? figuresForRun(project, name.toStdString())
                                     : figuresForAnalysis(project, name.toStdString());
    if (figures.empty()) return "'" + name + "' has nothing to show yet";
    int first = -1;
    // A Hessian's per-class views (spectra, extremes, traces, against class size) share one
    // tab, each a sub-view: four tabs of one question crowded the others out (#13).
    QTabWidget* perClass = nullptr;
    int perClassCount = 0;
    for (auto& f : figures) perClassCount += f.name.rfind(kPerClassPrefix, 0) == 0;
    for (auto& f : figures) {
      auto* view = new FigureView(f.figure);
      view->setProperty(kEntryProperty, entry);
      view->setProperty(kFigureProperty, QString::fromStdString(f.name));
      const QString title = name + ": " + QString::fromStdString(f.name);
      if (perClassCount > 1 && f.name.rfind(kPerClassPrefix, 0) == 0) {
        if (!perClass) {
          perClass = new QTabWidget;
          perClass->setObjectName("subViews");
          perClass->setDocumentMode(true);
          perClass->setTabPosition(QTabWidget::South);
          perClass->setProperty(kEntryProperty, entry);
          connect(perClass, &QTabWidget::currentChanged, this, [this] { updateViewActions(); });
          const QString groupTitle = name + ": per-class";
          const int index = m_views->addTab(perClass, groupTitle);
          m_views->setTabToolTip(index, groupTitle);
          if (first < 0) first = index;
        }
        prepareView(view, title);
        perClass->addTab(view, QString::fromStdString(f.name.substr(kPerClassPrefix.size())));
        continue;
      }
      const int index = addView(view, title);
      if (first < 0) first = index;
    }
    m_views->setCurrentIndex(first);  // an entry opens on its main view
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

int MainWindow::findTab(const QString& text) const {
  for (int i = 0; i < m_views->count(); ++i)
    if (m_views->tabText(i).contains(text)) return i;
  return -1;
}

bool MainWindow::hasOpenView(const QString& entry) const {
  for (int i = 0; i < m_views->count(); ++i)
    if (m_views->widget(i)->property(kEntryProperty).toString() == entry) return true;
  return false;
}

void MainWindow::setLiveRefreshInterval(int milliseconds) {
  m_liveRefresh->setInterval(milliseconds);
}

// A run or analysis that appeared since the last look opens as soon as it has something to
// draw, and then grows with the live refresh. One that has nothing yet is tried again next time.
void MainWindow::openNewEntries() {
  for (const QString& entry : m_browser->entries()) {
    if (!isRunEntry(entry) && !isAnalysisEntry(entry)) continue;
    if (m_knownEntries.contains(entry)) continue;
    try {
      // A surface that has not finished a point yet would only show an empty box.
      const auto node = training::ProjectFile::open(m_projectPath.toStdString())
                            .read("/" + entry.toStdString(), false);
      if (node.has(schema::kPointsDone) && node.number(schema::kPointsDone) == 0) continue;
    } catch (const Error&) {
      continue;
    }
    if (hasOpenView(entry) || openEntry(entry).isEmpty()) m_knownEntries.insert(entry);
  }
}

QString MainWindow::compare(const QStringList& entries) {
  std::vector<std::string> runs, analyses;
  for (auto& e : entries) {
    if (isRunEntry(e)) runs.push_back(e.section('/', 1).toStdString());
    if (isAnalysisEntry(e)) analyses.push_back(e.section('/', 1).toStdString());
  }
  if (runs.size() < 2 && analyses.size() < 2)
    return "Select two or more runs, or two or more analyses of one kind, to compare them.";
  try {
    auto project = training::ProjectFile::open(m_projectPath.toStdString());
    std::vector<NamedFigure> figures;
    if (runs.size() >= 2) figures = runComparisonFigures(project, runs);
    if (analyses.size() >= 2) {
      try {
        for (auto& f : comparisonFigures(project, analyses)) figures.push_back(std::move(f));
      } catch (const InvalidArgument&) {
        if (figures.empty()) throw;  // the runs compare; the odd analyses are left out
      }
    }
    // Each tab says what it compares: "sgd vs sam: surfaces".
    const auto namesOfKind = [&](const std::string& figureName) {
      QStringList names;
      if (figureName == "accuracy-comparison" || figureName == "loss-comparison") {
        for (auto& r : runs) names << QString::fromStdString(r);
        return names;
      }
      const std::string kind =
          figureName == "comparison" || figureName == "contours" ||
                  figureName == "curve-comparison" || figureName == "slices" ||
                  figureName == "surface-summary" || figureName == "surface-curvature" ||
                  figureName == "difference"
              ? schema::kKindSurface
          : figureName == "quantize-comparison" ? schema::kKindQuantize
          : figureName == "robustness-comparison" || figureName == "corruption-comparison"
              ? schema::kKindRobustness
          : figureName == "sharpness-comparison" ? schema::kKindSharpness
                                                 : schema::kKindHessian;
      for (auto& a : analyses) {
        try {
          auto node = project.read(schema::analysisPath(a), false);
          if (node.has(schema::kKind) && node.text(schema::kKind) == kind)
            names << QString::fromStdString(a);
        } catch (const std::exception&) {
        }
      }
      if (names.isEmpty())
        for (auto& a : analyses) names << QString::fromStdString(a);
      return names;
    };
    int first = -1;
    for (auto& f : figures) {
      const int index =
          addView(new FigureView(f.figure),
                  comparisonTabTitle(namesOfKind(f.name), QString::fromStdString(f.name)));
      if (first < 0) first = index;
    }
    m_views->setCurrentIndex(first);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

void MainWindow::refreshProject() {
  if (m_projectPath.isEmpty()) return;
  try {
    m_browser->load(m_projectPath);
    offerProjectModels();
  } catch (const Error& e) {
    statusBar()->showMessage(QString("Cannot re-read the project: ") + e.what());
  }
}

void MainWindow::refreshOpenViews() {
  if (m_projectPath.isEmpty()) return;
  try {
    auto project = training::ProjectFile::open(m_projectPath.toStdString());
    for (int i = 0; i < m_views->count(); ++i)
      for (FigureView* view : viewsOfTab(i)) {
        if (view->property(kEntryProperty).isNull()) continue;
        const QString entry = view->property(kEntryProperty).toString();
        const std::string name = entry.section('/', 1).toStdString();
        auto figures =
            isRunEntry(entry) ? figuresForRun(project, name) : figuresForAnalysis(project, name);
        for (auto& f : figures)
          if (QString::fromStdString(f.name) == view->property(kFigureProperty).toString())
            view->setFigure(f.figure);
      }
    if (m_sameLossRange->isChecked()) applySharedLossRange();  // the data may have grown
  } catch (const Error&) {
    // A view whose entry vanished keeps its last picture.
  }
}

void MainWindow::rememberRecent(const QString& path) {
  QSettings settings;
  auto recent = settings.value("recentProjects").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > 8) recent.removeLast();
  settings.setValue("recentProjects", recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  for (auto& path : QSettings().value("recentProjects").toStringList())
    m_recentMenu->addAction(path, this, [this, path] { openProject(path); });
  m_recentMenu->setEnabled(!m_recentMenu->isEmpty());
}

void MainWindow::newProjectDialog() {
  auto path =
      QFileDialog::getSaveFileName(this, "New project", "project.h5", "Flatland projects (*.h5)");
  if (path.isEmpty()) return;
  if (QFileInfo::exists(path) &&
      QMessageBox::question(this, "Project exists", path + " exists. Open it instead?") !=
          QMessageBox::Yes)
    return;
  openProject(path);
}

void MainWindow::openProjectDialog() {
  auto path =
      QFileDialog::getOpenFileName(this, "Open project", QString(), "Flatland projects (*.h5)");
  if (!path.isEmpty()) openProject(path);
}

void MainWindow::exportCurrentFigure() {
  if (auto* view = currentView())
    view->exportInteractively();
  else
    QMessageBox::information(this, "Export",
                             "Open a view first: double-click a run or an analysis.");
}

}  // namespace flatland::app
