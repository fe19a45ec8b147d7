// Names of the views' tabs and of the files they export to, made from what they show.
#pragma once

#include <QString>
#include <QStringList>

namespace flatland::app {

// The compared names without what they all share at the start and the end (at a '-' or '_'), so
// {"surface-sgd", "surface-sam"} reads "sgd vs sam"; more than three end in "+ N more".
QString comparedNames(const QStringList& names);

// What a comparison figure shows, in words: "comparison" → "surfaces",
// "density-comparison" → "spectra", "accuracy-comparison" → "test accuracy".
QString comparisonSubject(const QString& figureName);

// The tab of a comparison: "sgd vs sam: surfaces".
QString comparisonTabTitle(const QStringList& names, const QString& figureName);

// A file name (without extension) for a view's export: letters, digits, '-', '_' and '.';
// "sgd vs sam: surfaces" → "sgd-vs-sam-surfaces".
QString fileStemOf(const QString& title);

}  // namespace flatland::app
