// The names of the groups, datasets and attributes of a project file (docs/project-file.md), one
// constant each: the code that writes a key and every reader use the same constant, so a grep for
// a constant finds them all. Format changes start here.
#pragma once

namespace flatland::schema {

// Attributes every run and analysis carries.
inline constexpr const char* kKind = "kind";  // hessian, surface, quantize, sharpness (analyses)
inline constexpr const char* kModel = "model";
inline constexpr const char* kData = "data";
inline constexpr const char* kSettings = "settings";  // JSON of the settings table's Stored keys
inline constexpr const char* kComplete = "complete";  // 0 while running, 1 when finished

// Runs (/runs/NAME).
inline constexpr const char* kStatus = "status";
inline constexpr const char* kOptimizer = "optimizer";
inline constexpr const char* kEpochsDone = "epochs_done";
inline constexpr const char* kFinalTestAccuracy = "final_test_accuracy";
// Runs written by `flatland-cli rescale` (one checkpoint, epoch 0).
inline constexpr const char* kRescaledFrom = "rescaled_from";  // the model spec it was made from
inline constexpr const char* kRescaledLayer = "rescaled_layer";
inline constexpr const char* kRescaleAlpha = "rescale_alpha";

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

// Sharpness analyses (kind = "sharpness"; docs/project-file.md). Attributes of the analysis:
// kLoss and kAccuracy (above) at the weights, on the data, and
inline constexpr const char* kSamples = "samples";
inline constexpr const char* kParameters = "parameters";
inline constexpr const char* kPerturbationNorm = "norm";  // l2 | linf
inline constexpr const char* kAdaptive = "adaptive";      // 0 | 1
inline constexpr const char* kSubBatch = "m";             // m-sharpness sub-batch (0: whole set)
inline constexpr const char* kWeightNorm = "weight_norm";
inline constexpr const char* kFisherRaoNorm = "fisher_rao_norm";
inline constexpr const char* kPacBayesSigma = "pac_bayes_sigma";
inline constexpr const char* kPacBayesThreshold = "pac_bayes_threshold";
inline constexpr const char* kPacBayesIncrease = "pac_bayes_increase";
inline constexpr const char* kPacBayesBracketed = "pac_bayes_bracketed";
inline constexpr const char* kRelativeFlatness = "relative_flatness";
inline constexpr const char* kRelativeFlatnessStderr = "relative_flatness_stderr";
inline constexpr const char* kRelativeFlatnessParameter = "relative_flatness_parameter";
inline constexpr const char* kTestLoss = "test_loss";
inline constexpr const char* kTestAccuracy = "test_accuracy";
inline constexpr const char* kGapLoss = "gap_loss";          // test − train loss
inline constexpr const char* kGapAccuracy = "gap_accuracy";  // train − test accuracy
// Groups of a sharpness analysis and their datasets (one entry per radius or σ):
inline constexpr const char* kWorstCase = "worst_case";
inline constexpr const char* kRandomDirections = "random_directions";
inline constexpr const char* kGaussian = "gaussian";
inline constexpr const char* kWeightNorms = "weight_norms";
inline constexpr const char* kRho = "rho";
inline constexpr const char* kSigma = "sigma";
inline constexpr const char* kLossIncrease = "loss_increase";
inline constexpr const char* kLossIncreaseStderr = "loss_increase_stderr";
inline constexpr const char* kLossMean = "loss_mean";
inline constexpr const char* kLossStd = "loss_std";
inline constexpr const char* kAccuracyMean = "accuracy_mean";
inline constexpr const char* kAccuracyStd = "accuracy_std";
// kNames (above), attribute of weight_norms: the parameter tensors
inline constexpr const char* kNorms = "norms";
inline constexpr const char* kSizes = "sizes";

// Generalisation tables (kind = "generalization"): measures of several models against their gaps.
inline constexpr const char* kTestData = "test_data";
inline constexpr const char* kMeasures = "measures";  // group: one dataset per measure, attribute names
inline constexpr const char* kKendallTauAccuracyGap = "kendall_tau_accuracy_gap";
inline constexpr const char* kKendallTauLossGap = "kendall_tau_loss_gap";

}  // namespace flatland::schema
