#include "flatland/render/synthetic_figures.h"

#include <cmath>

#include "flatland/errors.h"

namespace flatland::render {
namespace {

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[std::size_t(i)] = lo + (hi - lo) * i / (n - 1);
  return v;
}

double valleyLoss(double x, double y, double sharpness) {
  const double a = 0.8 * x + 0.6 * y, b = -0.6 * x + 0.8 * y;  // a valley tilted by ~37°
  return 0.08 + sharpness * (2.2 * (a - 0.1) * (a - 0.1) + 0.5 * (b + 0.1) * (b + 0.1)) +
         0.06 * std::sin(5.0 * x) * std::cos(4.0 * y) +
         0.25 * std::exp(-((x + 0.55) * (x + 0.55) + (y - 0.45) * (y - 0.45)) / 0.03);
}

}  // namespace

SurfaceGrid syntheticSurfaceGrid(double sharpness) {
  SurfaceGrid grid;
  grid.xs = linspace(-1.0, 1.0, 41);
  grid.ys = linspace(-0.75, 0.75, 31);
  for (double y : grid.ys)
    for (double x : grid.xs) grid.values.push_back(valleyLoss(x, y, sharpness));
  return grid;
}

Trajectory syntheticTrajectory() {
  Trajectory path;
  // A damped spiral from the corner into the valley floor, one point per epoch.
  for (int epoch = 0; epoch <= 20; ++epoch) {
    const double t = epoch / 20.0;
    const double radius = 0.95 * std::exp(-3.0 * t);
    const double angle = 2.4 + 5.0 * t;
    path.xs.push_back(0.08 + radius * std::cos(angle));
    path.ys.push_back(-0.02 + 0.75 * radius * std::sin(angle));
    path.epochs.push_back(epoch);
  }
  return path;
}

std::vector<std::string> syntheticViews() {
  return {"surface", "contour", "comparison", "volume", "curves", "density", "bars", "lines"};
}

Figure syntheticFigure(const std::string& view) {
  if (view == "surface" || view == "contour") {
    SurfaceFigure surface;
    surface.grid = syntheticSurfaceGrid();
    surface.trajectory = syntheticTrajectory();
    surface.title = "Loss surface (synthetic)";
    if (view == "surface") return surface;
    return ContourMapFigure{surface};
  }
  if (view == "comparison") {
    ComparisonFigure comparison;
    comparison.title = "Sharp vs. flat minimum (synthetic)";
    SurfaceFigure sharp;
    sharp.grid = syntheticSurfaceGrid(1.6);
    sharp.title = "SGD";
    SurfaceFigure flat = sharp;
    flat.grid = syntheticSurfaceGrid(0.5);
    flat.title = "SAM";
    comparison.panels = {sharp, flat};
    return comparison;
  }
  if (view == "volume") {
    VolumeFigure volume;
    volume.title = "Loss volume (synthetic)";
    volume.grid.xs = linspace(-1, 1, 25);
    volume.grid.ys = linspace(-1, 1, 21);
    volume.grid.zs = linspace(-1, 1, 17);
    for (double z : volume.grid.zs)
      for (double y : volume.grid.ys)
        for (double x : volume.grid.xs)
          volume.grid.values.push_back(0.1 + 1.2 * x * x + 0.6 * (y - 0.2) * (y - 0.2) +
                                       0.9 * z * z + 0.3 * x * z +
                                       0.05 * std::sin(4 * x) * std::cos(3 * y));
    return volume;
  }
  if (view == "curves") {
    CurvesFigure curves;
    curves.title = "Linear interpolation between two minima";
    curves.xLabel = "interpolation \u03b1";
    curves.leftLabel = "loss";
    curves.rightLabel = "accuracy";
    Series trainLoss{"train loss", {}, {}}, testLoss{"test loss", {}, {}};
    Series trainAcc{"train accuracy", {}, {}}, testAcc{"test accuracy", {}, {}};
    for (double a : linspace(-0.5, 1.5, 41)) {
      const double barrier = 1.6 * std::exp(-(a - 0.5) * (a - 0.5) / 0.06);
      const double bowl = 0.9 * (a * (a - 1.0)) * (a * (a - 1.0));
      trainLoss.xs.push_back(a);
      trainLoss.ys.push_back(0.05 + bowl + barrier);
      testLoss.xs.push_back(a);
      testLoss.ys.push_back(0.32 + bowl + 0.9 * barrier);
      trainAcc.xs.push_back(a);
      trainAcc.ys.push_back(0.99 - 0.55 * (1 - std::exp(-(bowl + barrier))));
      testAcc.xs.push_back(a);
      testAcc.ys.push_back(0.91 - 0.5 * (1 - std::exp(-(bowl + barrier))));
    }
    curves.left = {trainLoss, testLoss};
    curves.right = {trainAcc, testAcc};
    return curves;
  }
  if (view == "density") {
    DensityFigure density;
    density.title = "Hessian spectral density";
    const std::vector<double> grid = linspace(-2, 30, 400);
    const auto mixture = [](double x, double spread,
                            const std::vector<std::pair<double, double>>& spikes) {
      double v = 0.9 * std::exp(-x * x / (2 * spread * spread)) / (spread * std::sqrt(2 * M_PI));
      for (const auto& [at, weight] : spikes)
        v += weight * std::exp(-(x - at) * (x - at) / 0.18) / std::sqrt(0.18 * M_PI);
      return v;
    };
    Series sgd{"SGD", grid, {}}, sam{"SAM", grid, {}};
    for (double x : grid) {
      sgd.ys.push_back(mixture(x, 0.35, {{8.0, 0.01}, {17.5, 0.004}, {26.0, 0.001}}));
      sam.ys.push_back(mixture(x, 0.25, {{4.5, 0.01}, {9.0, 0.003}}));
    }
    density.densities = {sgd, sam};
    density.topEigenvalues = {{26.0, 17.5, 8.0}, {9.0, 4.5}};
    return density;
  }
  if (view == "bars") {
    BarsFigure bars;
    bars.title = "Per-class Hessian extremes";
    bars.categories = {"T-shirt", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Boot"};
    bars.xLabel = "class";
    bars.yLabel = "eigenvalue";
    BarSeries maxima{"\u03bb\u2098\u2090\u2093", {}}, minima{"\u03bb\u2098\u1d62\u2099", {}};
    for (std::size_t i = 0; i < bars.categories.size(); ++i) {
      maxima.values.push_back(4.0 + 3.0 * std::sin(double(i) * 1.3) + 0.5 * double(i));
      minima.values.push_back(-0.4 - 0.3 * std::cos(double(i) * 0.9));
    }
    bars.series = {maxima, minima};
    return bars;
  }
  if (view == "lines") {
    CurvesFigure lines;
    lines.title = "Accuracy after quantization";
    lines.xLabel = "bit width";
    lines.leftLabel = "test accuracy";
    Series perTensor{"per tensor", {}, {}, false, true},
        perChannel{"per channel", {}, {}, false, true};
    for (int bits : {2, 3, 4, 5, 6, 8}) {
      perTensor.xs.push_back(bits);
      perTensor.ys.push_back(0.91 - 0.8 * std::exp(-0.9 * (bits - 1)));
      perChannel.xs.push_back(bits);
      perChannel.ys.push_back(0.91 - 0.6 * std::exp(-1.3 * (bits - 1)));
    }
    lines.left = {perTensor, perChannel};
    return lines;
  }
  throw RenderError("unknown synthetic view '" + view +
                    "' (surface, contour, comparison, volume, curves, density, bars, lines)");
}

}  // namespace flatland::render
