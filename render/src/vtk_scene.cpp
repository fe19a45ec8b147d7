#include "vtk_scene.h"

#include <vtkActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkDoubleArray.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkRendererCollection.h>

#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "contour_geometry.h"
#include "flatland/errors.h"
#include "layout_3d.h"
#include "surface_mesh.h"
#include "volume_geometry.h"

namespace flatland::render {
namespace {

vtkSmartPointer<vtkLookupTable> lookupTable(ColorMapName name, const ValueRange& range) {
  const ColorMap map(name);
  auto table = vtkSmartPointer<vtkLookupTable>::New();
  table->SetNumberOfTableValues(256);
  for (int i = 0; i < 256; ++i) {
    const Rgb c = map.at(i / 255.0);
    table->SetTableValue(i, c[0], c[1], c[2], 1.0);
  }
  table->SetRange(range.lo, range.hi);
  table->Build();
  return table;
}

vtkSmartPointer<vtkActor> actorOf(vtkPolyData* data) {
  auto mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  mapper->SetInputData(data);
  mapper->ScalarVisibilityOff();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  return actor;
}

vtkSmartPointer<vtkActor> coloredActor(vtkPolyData* data, ColorMapName map,
                                       const ValueRange& range) {
  auto actor = actorOf(data);
  auto* mapper = vtkPolyDataMapper::SafeDownCast(actor->GetMapper());
  mapper->ScalarVisibilityOn();
  mapper->SetLookupTable(lookupTable(map, range));
  mapper->UseLookupTableScalarRangeOn();
  // Interpolate scalars before mapping so colours follow the map, not an RGB blend.
  mapper->InterpolateScalarsBeforeMappingOn();
  actor->GetProperty()->SetAmbient(0.3);
  actor->GetProperty()->SetDiffuse(0.7);
  actor->GetProperty()->SetSpecular(0.05);
  return actor;
}

// Lines given as pairs of points.
vtkSmartPointer<vtkPolyData> lineSegments(const std::vector<std::array<double, 6>>& segments) {
  auto points = vtkSmartPointer<vtkPoints>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  for (const auto& s : segments) {
    const vtkIdType a = points->InsertNextPoint(s[0], s[1], s[2]);
    const vtkIdType b = points->InsertNextPoint(s[3], s[4], s[5]);
    const vtkIdType ids[2] = {a, b};
    lines->InsertNextCell(2, ids);
  }
  auto data = vtkSmartPointer<vtkPolyData>::New();
  data->SetPoints(points);
  data->SetLines(lines);
  return data;
}

// Light grey panes behind the data, with grid lines at the ticks; they move to the far sides of
// the box whenever the camera turns (matplotlib's look).
struct BackPanes {
  BoxAxes axes;
  vtkSmartPointer<vtkPolyData> panes = vtkSmartPointer<vtkPolyData>::New();
  vtkSmartPointer<vtkPolyData> grid = vtkSmartPointer<vtkPolyData>::New();
  Vec3 lastBack{-1, -1, -1};

  void update(vtkCamera* camera) {
    const Vec3 back = backSides(axes, viewOfCamera(camera));
    if (back == lastBack) return;
    lastBack = back;
    const Vec3 size = axes.size();
    auto points = vtkSmartPointer<vtkPoints>::New();
    auto quads = vtkSmartPointer<vtkCellArray>::New();
    std::vector<std::array<double, 6>> gridLines;
    for (int normal = 0; normal < 3; ++normal) {
      const int a = (normal + 1) % 3, b = (normal + 2) % 3;
      vtkIdType ids[4];
      // Panes reach as far out as their neighbours sit, so they still meet along the edges.
      const double ea = 0.01 * std::max(size[a], 0.1), eb = 0.01 * std::max(size[b], 0.1);
      const double corners[4][2] = {
          {-ea, -eb}, {size[a] + ea, -eb}, {size[a] + ea, size[b] + eb}, {-ea, size[b] + eb}};
      // A little outside the box: data touching a face (the surface's minimum lies on the floor)
      // must not be pierced by the pane's grid lines.
      const double at =
          back[normal] + (back[normal] > 0 ? 0.01 : -0.01) * std::max(size[normal], 0.1);
      for (int k = 0; k < 4; ++k) {
        double p[3];
        p[normal] = at;
        p[a] = corners[k][0];
        p[b] = corners[k][1];
        ids[k] = points->InsertNextPoint(p);
      }
      quads->InsertNextCell(4, ids);
      // Grid lines a hair in front of the pane so they do not z-fight with it.
      const double inward = back[normal] > 0 ? -1e-3 : 1e-3;
      for (int along : {a, b}) {
        const int other = along == a ? b : a;
        for (const Tick& t : axes[along].ticks) {
          std::array<double, 6> s{};
          s[normal] = s[3 + normal] = at + inward;
          s[along] = s[3 + along] = axes[along].toWorld(t.value);
          s[other] = 0.0;
          s[3 + other] = size[other];
          gridLines.push_back(s);
        }
      }
    }
    panes->SetPoints(points);
    panes->SetPolys(quads);
    panes->Modified();
    grid->ShallowCopy(lineSegments(gridLines));
    grid->Modified();
  }

  static void onRender(vtkObject* caller, unsigned long, void* self, void*) {
    auto* renderer = vtkRenderer::SafeDownCast(caller);
    static_cast<BackPanes*>(self)->update(renderer->GetActiveCamera());
  }
};

void addBackPanes(Scene& scene, vtkRenderer* renderer, const BoxAxes& axes, const OrthoView& view) {
  auto panes = std::make_shared<BackPanes>();
  panes->axes = axes;
  auto camera = vtkSmartPointer<vtkCamera>::New();
  camera->SetFocalPoint(view.center.data());
  camera->SetPosition(view.center[0] + view.toViewer[0], view.center[1] + view.toViewer[1],
                      view.center[2] + view.toViewer[2]);
  camera->SetViewUp(0, 0, 1);
  panes->update(camera);
  auto paneActor = actorOf(panes->panes);
  paneActor->GetProperty()->SetColor(0.95, 0.95, 0.95);
  paneActor->GetProperty()->SetLighting(false);
  renderer->AddActor(paneActor);
  auto gridActor = actorOf(panes->grid);
  gridActor->GetProperty()->SetColor(0.84, 0.84, 0.84);
  gridActor->GetProperty()->SetLighting(false);
  renderer->AddActor(gridActor);
  auto callback = vtkSmartPointer<vtkCallbackCommand>::New();
  callback->SetCallback(&BackPanes::onRender);
  callback->SetClientData(panes.get());
  renderer->AddObserver(vtkCommand::StartEvent, callback);
  scene.keepAlive.push_back(panes);
}

vtkSmartPointer<vtkRenderer> newRenderer(bool transparent) {
  auto renderer = vtkSmartPointer<vtkRenderer>::New();
  renderer->SetBackground(1.0, 1.0, 1.0);
  renderer->SetBackgroundAlpha(transparent ? 0.0 : 1.0);
  return renderer;
}

void addSurfacePanel(Scene& scene, const SurfaceFigure& figure, const Panel3D& panel,
                     const ValueRange& range, bool transparent, double pixelsPerPoint) {
  const SurfaceMesh mesh = buildSurfaceMesh(figure, range);
  auto renderer = newRenderer(transparent);
  addBackPanes(scene, renderer, panel.axes, panelView(panel));

  auto points = vtkSmartPointer<vtkPoints>::New();
  for (const auto& p : mesh.points) points->InsertNextPoint(p[0], p[1], p[2]);
  auto scalars = vtkSmartPointer<vtkDoubleArray>::New();
  scalars->SetName("loss");
  for (std::size_t i = 0; i < mesh.scalars.size(); ++i)
    scalars->InsertNextValue(mesh.valid[i] ? mesh.scalars[i] : range.lo);
  auto triangles = vtkSmartPointer<vtkCellArray>::New();
  for (const auto& t : mesh.triangles) {
    const vtkIdType ids[3] = {t[0], t[1], t[2]};
    triangles->InsertNextCell(3, ids);
  }
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPoints(points);
  surface->SetPolys(triangles);
  surface->GetPointData()->SetScalars(scalars);
  auto normals = vtkSmartPointer<vtkPolyDataNormals>::New();
  normals->SetInputData(surface);
  normals->SplittingOff();
  normals->Update();
  renderer->AddActor(coloredActor(normals->GetOutput(), figure.colorMap, range));

  if (figure.contourLevels > 0) {
    // Cut with the same marching triangles as the vector output and lifted a little, so the
    // lines never z-fight with the surface.
    std::vector<std::array<double, 6>> segments;
    const auto levels = linearTicks(range.lo, range.hi, figure.contourLevels);
    for (const auto& t : mesh.triangles) {
      std::array<ScalarVertex, 3> tri;
      for (int k = 0; k < 3; ++k) {
        const Point3& p = mesh.points[t[k]];
        tri[k] = {p[0], p[1], p[2], mesh.scalars[t[k]]};
      }
      for (const Tick& level : levels) {
        Segment s;
        if (levelSegment(tri, level.value, s))
          segments.push_back({s[0].x, s[0].y, s[0].z + 2e-3, s[1].x, s[1].y, s[1].z + 2e-3});
      }
    }
    auto contours = actorOf(lineSegments(segments));
    contours->GetProperty()->SetColor(0.0, 0.0, 0.0);
    contours->GetProperty()->SetOpacity(0.45);
    contours->GetProperty()->SetLineWidth(float(std::max(1.0, 0.45 * pixelsPerPoint)));
    contours->GetProperty()->SetLighting(false);
    renderer->AddActor(contours);
  }
  if (figure.trajectory) {
    const Trajectory& path = *figure.trajectory;
    std::vector<std::array<double, 6>> segments;
    for (std::size_t i = 0; i + 1 < path.xs.size() && i + 1 < path.ys.size(); ++i) {
      const double s0 = mesh.sample(path.xs[i], path.ys[i], figure.grid);
      const double s1 = mesh.sample(path.xs[i + 1], path.ys[i + 1], figure.grid);
      if (!std::isfinite(s0) || !std::isfinite(s1)) continue;
      const Point3 a = mesh.toScene(path.xs[i], path.ys[i], s0);
      const Point3 b = mesh.toScene(path.xs[i + 1], path.ys[i + 1], s1);
      segments.push_back({a[0], a[1], std::min(a[2], kSurfaceBoxHeight) + 0.015, b[0], b[1],
                          std::min(b[2], kSurfaceBoxHeight) + 0.015});
    }
    auto line = actorOf(lineSegments(segments));
    line->GetProperty()->SetColor(200 / 255.0, 30 / 255.0, 30 / 255.0);
    line->GetProperty()->SetLineWidth(float(1.4 * pixelsPerPoint));
    // Thick GL lines leave notches at their joints; tubes join smoothly.
    line->GetProperty()->SetRenderLinesAsTubes(true);
    line->GetProperty()->SetLighting(false);
    renderer->AddActor(line);
  }
  renderer->SetActiveCamera(scene.camera);
  scene.renderers.push_back(renderer);
}

void addVolumePanel(Scene& scene, const VolumeFigure& figure, const Panel3D& panel,
                    bool transparent) {
  const VolumeGeometry geometry = buildVolumeGeometry(figure);
  auto renderer = newRenderer(transparent);
  addBackPanes(scene, renderer, panel.axes, panelView(panel));
  renderer->AddActor(coloredActor(geometry.slices, figure.colorMap, geometry.range));
  if (geometry.isoSurface && geometry.isoSurface->GetNumberOfPolys() > 0) {
    auto iso = actorOf(geometry.isoSurface);
    // A light neutral shell reads against every colour map.
    iso->GetProperty()->SetColor(0.93, 0.93, 0.93);
    iso->GetProperty()->SetOpacity(0.4);
    // Translucent, drawn after the opaque slices. (Depth peeling lost the whole surface in
    // offscreen renders with Mesa here, so it stays off.)
    iso->GetProperty()->BackfaceCullingOff();
    renderer->AddActor(iso);
  }
  renderer->SetActiveCamera(scene.camera);
  scene.renderers.push_back(renderer);
}

}  // namespace

OrthoView viewOfCamera(vtkCamera* camera) {
  OrthoView view;
  double focal[3], dop[3], up[3];
  camera->GetFocalPoint(focal);
  camera->GetDirectionOfProjection(dop);
  camera->GetViewUp(up);
  for (int i = 0; i < 3; ++i) {
    view.center[i] = focal[i];
    view.toViewer[i] = -dop[i];
  }
  // right = forward x up; up' = right x forward (orthogonal to the view direction).
  Vec3 r{dop[1] * up[2] - dop[2] * up[1], dop[2] * up[0] - dop[0] * up[2],
         dop[0] * up[1] - dop[1] * up[0]};
  const double n = std::sqrt(OrthoView::dot(r, r));
  for (double& v : r) v /= (n > 0 ? n : 1.0);
  view.right = r;
  view.up = {r[1] * dop[2] - r[2] * dop[1], r[2] * dop[0] - r[0] * dop[2],
             r[0] * dop[1] - r[1] * dop[0]};
  view.halfHeight = camera->GetParallelScale();
  return view;
}

Scene buildScene(const Figure& figure, bool transparent, double pixelsPerPoint) {
  // The layout only matters here for the panel boxes and axes; the page size is irrelevant.
  QImage none(16, 16, QImage::Format_ARGB32_Premultiplied);
  QPainter painter(&none);
  const PlotPainter measure(painter, QRectF(0, 0, 1000, 750), 96.0);
  const Layout3D layout = layoutFigure3D(figure, measure);
  painter.end();

  Scene scene;
  scene.camera = vtkSmartPointer<vtkCamera>::New();
  scene.camera->ParallelProjectionOn();
  scene.background = newRenderer(transparent);
  scene.background->SetInteractive(false);
  if (const auto* surface = std::get_if<SurfaceFigure>(&figure)) {
    addSurfacePanel(scene, *surface, layout.panels[0], layout.range, transparent, pixelsPerPoint);
  } else if (const auto* comparison = std::get_if<ComparisonFigure>(&figure)) {
    for (std::size_t i = 0; i < comparison->panels.size(); ++i)
      addSurfacePanel(scene, comparison->panels[i], layout.panels[i], layout.range, transparent,
                      pixelsPerPoint);
  } else if (const auto* volume = std::get_if<VolumeFigure>(&figure)) {
    addVolumePanel(scene, *volume, layout.panels[0], transparent);
  }
  return scene;
}

void attachScene(const Scene& scene, vtkRenderWindow* window) {
  auto* existing = window->GetRenderers();
  while (existing->GetNumberOfItems() > 0) window->RemoveRenderer(existing->GetFirstRenderer());
  window->AddRenderer(scene.background);
  for (const auto& renderer : scene.renderers) window->AddRenderer(renderer);
}

void placeScene(Scene& scene, const Figure& figure, const std::vector<QRectF>& areas,
                QSize windowSize, bool resetCamera) {
  const double w = std::max(1, windowSize.width()), h = std::max(1, windowSize.height());
  for (std::size_t i = 0; i < scene.renderers.size() && i < areas.size(); ++i) {
    const QRectF& a = areas[i];
    scene.renderers[i]->SetViewport(a.left() / w, 1.0 - a.bottom() / h, a.right() / w,
                                    1.0 - a.top() / h);
  }
  if (areas.empty()) return;
  double elevation = 30.0, azimuth = -60.0;
  Vec3 size{1.0, 1.0, kSurfaceBoxHeight};
  if (const auto* s = std::get_if<SurfaceFigure>(&figure))
    elevation = s->elevation, azimuth = s->azimuth;
  if (const auto* c = std::get_if<ComparisonFigure>(&figure))
    if (!c->panels.empty()) elevation = c->panels[0].elevation, azimuth = c->panels[0].azimuth;
  if (const auto* v = std::get_if<VolumeFigure>(&figure)) {
    elevation = v->elevation, azimuth = v->azimuth;
    size = {1.0, 1.0, kVolumeBoxHeight};
  }
  const double aspect = areas[0].width() / std::max(1.0, areas[0].height());
  vtkCamera* camera = scene.camera;
  if (!resetCamera && scene.fittedHalfHeight > 0) {
    const double zoom = camera->GetParallelScale() / scene.fittedHalfHeight;
    scene.fittedHalfHeight =
        fittedHalfHeight(viewOfCamera(camera), {0, 0, 0}, size, aspect, kBoxMargin);
    camera->SetParallelScale(scene.fittedHalfHeight * zoom);
    return;
  }
  const OrthoView view = makeOrthoView({0, 0, 0}, size, elevation, azimuth, aspect, kBoxMargin);
  scene.fittedHalfHeight = view.halfHeight;
  camera->SetFocalPoint(view.center.data());
  const double distance = 10.0;
  camera->SetPosition(view.center[0] + distance * view.toViewer[0],
                      view.center[1] + distance * view.toViewer[1],
                      view.center[2] + distance * view.toViewer[2]);
  camera->SetViewUp(view.up.data());
  camera->SetParallelScale(view.halfHeight);
  camera->SetClippingRange(distance - 3.0, distance + 3.0);
}

}  // namespace flatland::render
