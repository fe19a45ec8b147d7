// The forms that launch jobs, one file each: training (train_form.h), Hessian analysis
// (hessian_form.h), loss surface (surface_form.h), quantization sweep (quantize_form.h) and
// robustness (robustness_form.h), sharpness (sharpness_form.h) and mode connectivity
// (connect_form.h), on the shared base in launch_form.h. Their widgets are made from the settings
// tables.
#pragma once

#include "connect_form.h"
#include "hessian_form.h"
#include "launch_form.h"
#include "model_data_fields.h"
#include "quantize_form.h"
#include "robustness_form.h"
#include "sharpness_form.h"
#include "surface_form.h"
#include "train_form.h"
