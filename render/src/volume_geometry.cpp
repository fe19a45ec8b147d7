#include "volume_geometry.h"

#include <vtkAppendPolyData.h>
#include <vtkContourFilter.h>
#include <vtkDataSetSurfaceFilter.h>
#include <vtkDoubleArray.h>
#include <vtkExtractVOI.h>
#include <vtkImageData.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataNormals.h>
#include <vtkTriangleFilter.h>

#include <algorithm>
#include <cmath>

#include "flatland/errors.h"
#include "layout_3d.h"

namespace flatland::render {

VolumeGeometry buildVolumeGeometry(const VolumeFigure& figure) {
  const VolumeGrid& grid = figure.grid;
  grid.validate();
  VolumeGeometry geometry;
  geometry.range = scaledRange(grid.values, figure.scale);
  const double floor = positiveFloorOf(grid.values);

  // Uniform spacing in the box: the grid's own coordinates are shown by the axes.
  auto image = vtkSmartPointer<vtkImageData>::New();
  const int nx = int(grid.nx()), ny = int(grid.ny()), nz = int(grid.nz());
  image->SetDimensions(nx, ny, nz);
  image->SetSpacing(1.0 / (nx - 1), 1.0 / (ny - 1), kVolumeBoxHeight / (nz - 1));
  auto scalars = vtkSmartPointer<vtkDoubleArray>::New();
  scalars->SetName("loss");
  scalars->SetNumberOfTuples(vtkIdType(grid.values.size()));
  for (std::size_t i = 0; i < grid.values.size(); ++i) {
    // VTK's point order is x fastest, then y, then z: the same as [z, y, x] row-major.
    double s = scaleValue(grid.values[i], figure.scale, floor);
    if (!std::isfinite(s))
      s = geometry.range.hi;  // not computed: drawn as the highest loss, outside any basin
    scalars->SetValue(vtkIdType(i), s);
  }
  image->GetPointData()->SetScalars(scalars);

  auto append = vtkSmartPointer<vtkAppendPolyData>::New();
  const int centre[3] = {nx / 2, ny / 2, nz / 2};
  for (int axis = 0; axis < 3; ++axis) {
    int voi[6] = {0, nx - 1, 0, ny - 1, 0, nz - 1};
    voi[2 * axis] = voi[2 * axis + 1] = centre[axis];
    auto extract = vtkSmartPointer<vtkExtractVOI>::New();
    extract->SetInputData(image);
    extract->SetVOI(voi);
    auto surface = vtkSmartPointer<vtkDataSetSurfaceFilter>::New();
    surface->SetInputConnection(extract->GetOutputPort());
    auto triangles = vtkSmartPointer<vtkTriangleFilter>::New();
    triangles->SetInputConnection(surface->GetOutputPort());
    append->AddInputConnection(triangles->GetOutputPort());
  }
  append->Update();
  geometry.slices = append->GetOutput();

  // Default iso value: the 20th percentile, which outlines the basin around the minimum (the
  // percentile of losses equals the percentile of scaled losses: the scale is monotonic).
  geometry.isoScaled = scaleValue(isoLossOf(figure), figure.scale, floor);
  auto contour = vtkSmartPointer<vtkContourFilter>::New();
  contour->SetInputData(image);
  contour->SetValue(0, geometry.isoScaled);
  contour->ComputeScalarsOff();
  auto normals = vtkSmartPointer<vtkPolyDataNormals>::New();
  normals->SetInputConnection(contour->GetOutputPort());
  normals->Update();
  geometry.isoSurface = normals->GetOutput();
  return geometry;
}

}  // namespace flatland::render
