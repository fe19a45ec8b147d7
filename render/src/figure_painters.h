// Painters that draw one kind of figure onto a PlotPainter's page with QPainter. They are the
// vector path (PDF, SVG) of every view and the PNG path of the 2-D views.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "flatland/render/figures.h"
#include "plot_painter.h"

namespace flatland::render {

// chart_2d.cpp
// Panels: the figure's title on top, then `count` panels in a grid about as wide as the page,
// each painted by `paintPanel(i, painter)` on its own part of the page (small multiples, contour
// maps side by side).
void paintPanelGrid(const std::string& title, std::size_t count, PlotPainter& out,
                    const std::function<void(std::size_t, PlotPainter&)>& paintPanel);
void paintCurves(const CurvesFigure& figure, PlotPainter& out);
void paintDensity(const DensityFigure& figure, PlotPainter& out);
void paintBars(const BarsFigure& figure, PlotPainter& out);

// landscape_2d.cpp
void paintContourMap(const ContourMapFigure& figure, PlotPainter& out);
// A comparison's panels as contour maps in a row, under its title, on one loss range.
void paintContourComparison(const ComparisonFigure& figure, PlotPainter& out);

// projected_3d.cpp: 3-D views as depth-sorted polygons (the painter's algorithm, as matplotlib's
// mplot3d), projected with the same camera the VTK view uses.
void paintSurface3D(const SurfaceFigure& figure, PlotPainter& out);
void paintComparison(const ComparisonFigure& figure, PlotPainter& out);
void paintVolume(const VolumeFigure& figure, PlotPainter& out);

// Any figure.
void paintFigure(const Figure& figure, PlotPainter& out);

}  // namespace flatland::render
