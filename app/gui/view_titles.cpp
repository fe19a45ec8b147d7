#include "view_titles.h"

#include <QRegularExpression>
#include <QSet>
#include <algorithm>

namespace flatland::app {

namespace {

bool isSeparator(QChar c) { return c == '-' || c == '_'; }

// Length of the prefix all names share, cut back to just after a separator.
int sharedPrefix(const QStringList& names) {
  int n = int(names.front().size());
  for (const QString& name : names) {
    int k = 0;
    while (k < n && k < name.size() && name[k] == names.front()[k]) ++k;
    n = k;
  }
  while (n > 0 && !isSeparator(names.front()[n - 1])) --n;
  return n;
}

QStringList reversed(const QStringList& names) {
  QStringList out;
  for (const QString& name : names) {
    QString r = name;
    std::reverse(r.begin(), r.end());
    out << r;
  }
  return out;
}

}  // namespace

QString comparedNames(const QStringList& names) {
  if (names.isEmpty()) return {};
  QStringList shown = names;
  if (names.size() >= 2) {
    const int front = sharedPrefix(names);
    QStringList rest;
    for (const QString& name : names) rest << name.mid(front);
    const int back = sharedPrefix(reversed(rest));
    QStringList trimmed;
    for (const QString& name : rest) trimmed << name.left(name.size() - back);
    // Names that become empty or equal say nothing: keep the full ones.
    const bool usable = std::none_of(trimmed.begin(), trimmed.end(),
                                     [](const QString& t) { return t.isEmpty(); }) &&
                        QSet<QString>(trimmed.begin(), trimmed.end()).size() == trimmed.size();
    if (usable) shown = trimmed;
  }
  if (shown.size() > 3)
    return shown.mid(0, 3).join(" vs ") + QString(" + %1 more").arg(shown.size() - 3);
  return shown.join(" vs ");
}

QString comparisonSubject(const QString& figureName) {
  static const QList<QPair<QString, QString>> subjects = {
      {"comparison", "surfaces"},
      {"curve-comparison", "surface curves"},
      {"contours", "contour maps"},
      {"slices", "slices through the centre"},
      {"surface-summary", "surfaces in numbers"},
      {"surface-curvature", "curvature of the surfaces' models"},
      {"difference", "difference of the surfaces"},
      {"density-comparison", "spectra"},
      {"curvature-comparison", "curvature"},
      {"quantize-comparison", "quantization"},
      {"accuracy-comparison", "test accuracy"},
      {"loss-comparison", "loss"},
      {"robustness-comparison", "robust accuracy"},
      {"corruption-comparison", "noise corruptions"},
      {"sharpness-comparison", "sharpness"},
      {"path-comparison", "paths between minima"},
      {"per-class-count-comparison", "per-class curvature"}};
  for (const auto& [name, subject] : subjects)
    if (name == figureName) return subject;
  QString subject = figureName;
  subject.remove("-comparison");
  return subject.replace('-', ' ');
}

QString comparisonTabTitle(const QStringList& names, const QString& figureName) {
  return comparedNames(names) + ": " + comparisonSubject(figureName);
}

QString fileStemOf(const QString& title) {
  QString stem = title;
  stem.replace(QRegularExpression("[^A-Za-z0-9._-]+"), "-");
  stem.replace(QRegularExpression("-{2,}"), "-");
  while (stem.startsWith('-') || stem.startsWith('.')) stem.remove(0, 1);
  while (stem.endsWith('-') || stem.endsWith('.')) stem.chop(1);
  return stem.isEmpty() ? QString("figure") : stem;
}

}  // namespace flatland::app
