// The names of the groups, datasets and attributes of a project file (docs/project-file.md), one
// constant each: the code that writes a key and every reader use the same constant, so a grep for
// a constant finds them all. Format changes start here.
#pragma once

namespace flatland::schema {

// Attributes every run and analysis carries.
inline constexpr const char* kKind = "kind";  // hessian, surface, quantize (analyses)
inline constexpr const char* kModel = "model";
inline constexpr const char* kData = "data";
inline constexpr const char* kSettings = "settings";  // JSON of the settings table's Stored keys
inline constexpr const char* kComplete = "complete";  // 0 while running, 1 when finished

// Runs (/runs/NAME).
inline constexpr const char* kStatus = "status";
inline constexpr const char* kOptimizer = "optimizer";
inline constexpr const char* kEpochsDone = "epochs_done";
inline constexpr const char* kFinalTestAccuracy = "final_test_accuracy";

// Hessian analyses (/analyses/NAME, and each per_class/class_NN group).
inline constexpr const char* kTopEigenvalues = "top_eigenvalues";
inline constexpr const char* kTopEigenvectors = "top_eigenvectors";
inline constexpr const char* kBottomEigenvalues = "bottom_eigenvalues";
inline constexpr const char* kBottomEigenvectors = "bottom_eigenvectors";
inline constexpr const char* kLambdaMax = "lambda_max";
inline constexpr const char* kLambdaMin = "lambda_min";
inline constexpr const char* kTopConverged = "top_converged";
inline constexpr const char* kBottomConverged = "bottom_converged";
inline constexpr const char* kTrace = "trace";
inline constexpr const char* kTraceStderr = "trace_stderr";
inline constexpr const char* kTraceSamples = "trace_samples";  // attribute (count) and dataset (values)
inline constexpr const char* kDensity = "density";             // group: nodes, weights, grid, values
inline constexpr const char* kPerClass = "per_class";          // group of class_NN groups
inline constexpr const char* kBatchSweep = "batch_sweep";      // group
inline constexpr const char* kBatchSizes = "batch_sizes";
inline constexpr const char* kLambdaMaxMean = "lambda_max_mean";
inline constexpr const char* kLambdaMaxStd = "lambda_max_std";
inline constexpr const char* kLambdaMaxSamples = "lambda_max_samples";
inline constexpr const char* kLambdaMaxFull = "lambda_max_full";

// Surfaces.
inline constexpr const char* kGrid = "grid";
inline constexpr const char* kLossMin = "loss_min";

// Quantization sweeps.
inline constexpr const char* kFloatTestAccuracy = "float_test_accuracy";

}  // namespace flatland::schema
