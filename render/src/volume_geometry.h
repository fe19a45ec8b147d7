// The geometry of a loss volume view: three orthogonal slices through the centre and an
// iso-surface, in the box [0,1] x [0,1] x [0,kVolumeBoxHeight], with scaled loss as point scalars.
#pragma once

#include <vtkSmartPointer.h>

#include "flatland/render/figures.h"
#include "surface_mesh.h"

class vtkPolyData;

namespace flatland::render {

struct VolumeGeometry {
  vtkSmartPointer<vtkPolyData> slices;      // triangles, scalars "loss"
  vtkSmartPointer<vtkPolyData> isoSurface;  // triangles with normals; may be empty
  double isoScaled = 0.0;                   // the iso value after ValueScale
  ValueRange range;
};

// Throws RenderError on a malformed grid.
VolumeGeometry buildVolumeGeometry(const VolumeFigure& figure);

}  // namespace flatland::render
