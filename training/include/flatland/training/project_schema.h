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

// Robustness analyses (kind = "robustness").
inline constexpr const char* kUnits = "units";                 // "data" or "pixel"
inline constexpr const char* kClamped = "clamped";
inline constexpr const char* kCleanAccuracy = "clean_accuracy";
inline constexpr const char* kCleanLoss = "clean_loss";
inline constexpr const char* kCleanPerClassAccuracy = "clean_per_class_accuracy";
inline constexpr const char* kAttacks = "attacks";             // group of one group per attack
inline constexpr const char* kNorm = "norm";                   // "linf" or "l2"
inline constexpr const char* kEps = "eps";
inline constexpr const char* kAccuracy = "accuracy";
inline constexpr const char* kLoss = "loss";
inline constexpr const char* kPerClassAccuracy = "per_class_accuracy";
inline constexpr const char* kInputCurvature = "input_curvature";  // group
inline constexpr const char* kCure = "cure";
inline constexpr const char* kCureStep = "cure_step";
inline constexpr const char* kLabels = "labels";
inline constexpr const char* kPredictions = "predictions";
inline constexpr const char* kLanczosSteps = "lanczos_steps";
inline constexpr const char* kConverged = "converged";
inline constexpr const char* kCorruptions = "corruptions";     // group
inline constexpr const char* kNames = "names";
inline constexpr const char* kSeverityConstants = "severity_constants";
inline constexpr const char* kMeanAccuracy = "mean_accuracy";
inline constexpr const char* kInputSurface = "input_surface";  // group
inline constexpr const char* kAxis = "axis";
inline constexpr const char* kImage = "image";
inline constexpr const char* kSample = "sample";
inline constexpr const char* kLabel = "label";

// Quantization sweeps.
inline constexpr const char* kFloatTestAccuracy = "float_test_accuracy";

}  // namespace flatland::schema
