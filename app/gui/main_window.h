// Flatland's main window: the project browser, views in tabs, launch forms and the job panel.
#pragma once

#include <QMainWindow>
#include <QSet>
#include <QString>

class QAction;
class QDockWidget;
class QTabWidget;
class QTimer;
class QMenu;

namespace flatland::app {

class FigureView;
class JobPanel;
class JobQueue;
class ProjectBrowser;
class TrainForm;
class HessianForm;
class SurfaceForm;
class QuantizeForm;
class RobustnessForm;
class SharpnessForm;
class ConnectForm;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens a project, creating an empty one when the file does not exist. Errors are shown in a
  // message box (interactive) and returned (empty string on success).
  QString openProject(const QString& path, bool interactive = true);
  const QString& projectPath() const { return m_projectPath; }
  // Opens the views of "runs/NAME" or "analyses/NAME" in new tabs.
  QString openEntry(const QString& entry);
  // Opens the side-by-side comparison of the given runs ("runs/NAME") and analyses
  // ("analyses/NAME").
  QString compare(const QStringList& entries);
  // Whether a view of "runs/NAME" or "analyses/NAME" is open.
  bool hasOpenView(const QString& entry) const;
  // The right-click menu of a tree entry ("runs/NAME" or "analyses/NAME"): the forms that take
  // it, already filled in, and Open / Compare. The caller owns the menu.
  QMenu* contextMenuFor(const QString& entry);
  // The first tab whose title contains `text`, or -1.
  int findTab(const QString& text) const;
  // The figure views of tab `index`: the tab's own, or the sub-views of a group tab (the
  // per-class views of a Hessian analysis share one).
  std::vector<FigureView*> viewsOfTab(int index) const;
  // The view the user looks at: the current tab's, or the current sub-view of a group tab.
  FigureView* currentView() const;
  // How often the project is re-read while jobs run (2 s by default; tests go faster).
  void setLiveRefreshInterval(int milliseconds);

  // The size the window opens at on a screen with this free area: its preferred 1400×900, made
  // smaller where the screen is (room left for a window frame).
  static QSize initialSize(const QRect& availableScreen);
  // The README the Help menu opens: installed with the package, else in the source tree; empty
  // when neither is there.
  static QString documentationPath();
  // The text of Help → About: versions and the compute devices LibTorch sees.
  static QString aboutText();
  // The text of Help → Keyboard shortcuts (HTML).
  static QString shortcutsText();

  ProjectBrowser* browser() const { return m_browser; }
  JobQueue* jobs() const { return m_jobs; }
  JobPanel* jobPanel() const { return m_jobPanel; }
  QTabWidget* views() const { return m_views; }
  QTabWidget* forms() const { return m_forms; }
  TrainForm* trainForm() const { return m_trainForm; }
  HessianForm* hessianForm() const { return m_hessianForm; }
  SurfaceForm* surfaceForm() const { return m_surfaceForm; }
  QuantizeForm* quantizeForm() const { return m_quantizeForm; }
  RobustnessForm* robustnessForm() const { return m_robustnessForm; }
  SharpnessForm* sharpnessForm() const { return m_sharpnessForm; }
  ConnectForm* connectForm() const { return m_connectForm; }

 private:
  void buildMenus();
  void refreshProject();         // re-reads the project: results appear while jobs run
  void offerProjectModels();     // the project's runs and checkpoints in every Model box
  void useSelectedRunInForms();  // a run selected in the tree is the analysis forms' model
  void showForm(QWidget* form);  // brings a form's tab to the front
  void applySharedLossRange();   // one loss scale for the open surface views, or each its own
  // The forms' values are kept between sessions (QSettings "forms/TAB/KEY"), names of new runs
  // and analyses excepted (they must be free in the project opened next).
  void saveFormValues() const;
  void restoreFormValues();
  void refreshOpenViews();
  void openNewEntries();  // what a running job has just written opens by itself
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();
  void newProjectDialog();
  void openProjectDialog();
  void exportCurrentFigure();
  void resetCurrentCamera();
  void updateViewActions();
  // Adds a view's tab, titled and named for export; returns its index.
  int addView(FigureView* view, const QString& title);
  // Titles a view and names it for export (addView does this for a tab of its own).
  void prepareView(FigureView* view, const QString& title);

  QString m_projectPath;
  ProjectBrowser* m_browser = nullptr;
  QTabWidget* m_views = nullptr;
  QTabWidget* m_forms = nullptr;
  QString m_runInForms;
  QAction* m_sameLossRange = nullptr;  // View → Same loss range in all surface views  // the run
                                       // useSelectedRunInForms last put in the forms
  JobQueue* m_jobs = nullptr;
  JobPanel* m_jobPanel = nullptr;
  TrainForm* m_trainForm = nullptr;
  HessianForm* m_hessianForm = nullptr;
  SurfaceForm* m_surfaceForm = nullptr;
  QuantizeForm* m_quantizeForm = nullptr;
  RobustnessForm* m_robustnessForm = nullptr;
  SharpnessForm* m_sharpnessForm = nullptr;
  ConnectForm* m_connectForm = nullptr;
  QMenu* m_recentMenu = nullptr;
  QAction* m_resetCamera = nullptr;
  QList<QDockWidget*> m_docks;
  QTimer* m_liveRefresh = nullptr;
  QSet<QString> m_knownEntries;  // the entries the user has seen listed (new ones open live)
};

}  // namespace flatland::app
