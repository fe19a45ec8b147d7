// The names of the groups, datasets and attributes of a project file (docs/project-file.md), one
// constant each: the code that writes a key and every reader use the same constant, so a grep for
// a constant finds them all. Format changes start here; a name never changes, so files written
// before can still be read.
#pragma once

#include <cstdint>
#include <string>

namespace flatland::schema {

// The root: attributes and the two groups under it.
inline constexpr const char* kFormat = "format";  // "flatland-project"
inline constexpr const char* kVersion = "version";
inline constexpr const char* kFlatlandVersion = "flatland_version";
// "split": each run, analysis and checkpoint in a file of its own in the sibling folder
// NAME.flatland/, reached through HDF5 external links; absent: everything in this one file.
inline constexpr const char* kStorage = "storage";
inline constexpr const char* kStorageSplit = "split";
inline constexpr const char* kRuns = "runs";
inline constexpr const char* kAnalyses = "analyses";
inline constexpr const char* kRunsPath = "/runs";
inline constexpr const char* kAnalysesPath = "/analyses";
// "/runs/NAME" and "/analyses/NAME".
inline std::string runPath(const std::string& name) { return std::string(kRunsPath) + "/" + name; }
inline std::string analysisPath(const std::string& name) {
  return std::string(kAnalysesPath) + "/" + name;
}

// Attributes every run and analysis carries.
inline constexpr const char* kKind = "kind";  // an analysis's kind (kKind… below); directions too
inline constexpr const char* kModel = "model";
inline constexpr const char* kData = "data";
inline constexpr const char* kTestData = "test_data";
inline constexpr const char* kSamples = "samples";  // -1: all
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kDevice = "device";
inline constexpr const char* kSettings = "settings";  // JSON of the settings table's Stored keys
inline constexpr const char* kCreated = "created";
inline constexpr const char* kComplete = "complete";  // 0 while running, 1 when finished
inline constexpr const char* kSeconds = "seconds";
inline constexpr const char* kHvpCount = "hvp_count";
// What an analysis's model spec resolved to (a checkpoint's epoch, a TorchScript file's identity).
inline constexpr const char* kModelEpoch = "model_epoch";
inline constexpr const char* kModelFileBytes = "model_file_bytes";
inline constexpr const char* kModelFileFnv1a64 = "model_file_fnv1a64";

// The values of an analysis's kKind.
inline constexpr const char* kKindHessian = "hessian";
inline constexpr const char* kKindSurface = "surface";
inline constexpr const char* kKindQuantize = "quantize";
inline constexpr const char* kKindRobustness = "robustness";
inline constexpr const char* kKindSharpness = "sharpness";
inline constexpr const char* kKindGeneralization = "generalization";
inline constexpr const char* kKindConnectivity = "connectivity";

// Runs (/runs/NAME): attributes, metrics/ (one entry per epoch) and checkpoints/.
inline constexpr const char* kStatus = "status";
inline constexpr const char* kMessage = "message";  // why the run stopped, when not finished
inline constexpr const char* kOptimizer = "optimizer";
inline constexpr const char* kEpochs = "epochs";  // asked for; also trajectory/epochs of surfaces
inline constexpr const char* kEpochsDone = "epochs_done";
inline constexpr const char* kFinalTestAccuracy = "final_test_accuracy";
inline constexpr const char* kFinalTestLoss = "final_test_loss";
inline constexpr const char* kSwaApplied = "swa_applied";
inline constexpr const char* kClassCounts = "class_counts";
inline constexpr const char* kClassNames = "class_names";  // also of robustness analyses
inline constexpr const char* kTrainSamples = "train_samples";
inline constexpr const char* kMetrics = "metrics";       // group
inline constexpr const char* kEpoch = "epoch";           // metrics/epoch; a checkpoint's attribute
inline constexpr const char* kTrainLoss = "train_loss";  // also the values of a surface
inline constexpr const char* kTrainAccuracy = "train_accuracy";
inline constexpr const char* kTestLoss = "test_loss";
inline constexpr const char* kTestAccuracy = "test_accuracy";
inline constexpr const char* kLearningRate = "learning_rate";
inline constexpr const char* kWallTime = "wall_time";
inline constexpr const char* kPerClassAccuracy = "per_class_accuracy";
// Label-noise runs: the labels that were changed.
inline constexpr const char* kLabelNoise = "label_noise";  // group
inline constexpr const char* kFlippedIndices = "flipped_indices";
inline constexpr const char* kOriginalLabels = "original_labels";
inline constexpr const char* kRate = "rate";
// Quantization-aware runs: attributes of the run, and the qat group (QatState::record).
inline constexpr const char* kQatBits = "qat_bits";
inline constexpr const char* kQatActivationBits = "qat_activation_bits";
inline constexpr const char* kQatMethod = "qat_method";
inline constexpr const char* kQatActivationSites = "qat_activation_sites";
inline constexpr const char* kQatNote = "qat_note";
inline constexpr const char* kQat = "qat";  // group
inline constexpr const char* kMethod = "method";
inline constexpr const char* kWeightBits = "weight_bits";
inline constexpr const char* kActivationBits = "activation_bits";
inline constexpr const char* kActivationSites = "activation_sites";
inline constexpr const char* kActivationSteps = "activation_steps";
inline constexpr const char* kActivationClips = "activation_clips";
inline constexpr const char* kWeightSteps = "weight_steps";  // group: one dataset per tensor
// Runs written by `flatland-cli rescale` (one checkpoint, epoch 0).
inline constexpr const char* kRescaledFrom = "rescaled_from";  // the model spec it was made from
inline constexpr const char* kRescaledLayer = "rescaled_layer";
inline constexpr const char* kRescaleAlpha = "rescale_alpha";

// Checkpoints (/runs/NAME/checkpoints/epoch_NNNN; training/checkpoint.h names and reads them).
inline constexpr const char* kCheckpoints = "checkpoints";  // group of a run
inline constexpr const char* kCheckpointPrefix = "epoch_";  // + the epoch, zero-padded to 4
inline constexpr const char* kParameters = "parameters";    // group of tensors; elsewhere a count
inline constexpr const char* kBuffers = "buffers";          // group of tensors
inline constexpr const char* kParameterCount = "parameter_count";  // also of surfaces

// Hessian analyses (/analyses/NAME, and each per_class/class_NN group); kLoss and kConverged
// (robustness, below) too.
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
inline constexpr const char* kTraceSamples =
    "trace_samples";                                // attribute (count) and dataset (values)
inline constexpr const char* kDensity = "density";  // group: nodes, weights, grid, values
inline constexpr const char* kNodes = "nodes";
inline constexpr const char* kWeights = "weights";
inline constexpr const char* kValues = "values";  // and kGrid (surfaces, below)
inline constexpr const char* kSigma2 = "sigma2";
inline constexpr const char* kCurvature = "curvature";  // hessian or ggn
inline constexpr const char* kTraceMethod = "trace_method";
inline constexpr const char* kClassSamples = "class_samples";  // in memory only, never stored
inline constexpr const char* kPerClass = "per_class";          // group of class_NN groups
inline constexpr const char* kClassGroupPrefix = "class_";     // + the class index, 2 digits
inline constexpr const char* kClassCount = "class_count";
inline constexpr const char* kClassName = "class_name";
inline constexpr const char* kBatchSweep = "batch_sweep";  // group
inline constexpr const char* kBatchSizes = "batch_sizes";
inline constexpr const char* kLambdaMaxMean = "lambda_max_mean";
inline constexpr const char* kLambdaMaxStd = "lambda_max_std";
inline constexpr const char* kLambdaMaxSamples = "lambda_max_samples";
inline constexpr const char* kLambdaMaxFull = "lambda_max_full";

// Surfaces (kind = "surface"): coordinates, value arrays (kTrainLoss… above) with their done
// mask, and what the surface was made from.
inline constexpr const char* kGrid = "grid";  // the spec, e.g. -1:1:21,-1:1:21
inline constexpr const char* kLossMin = "loss_min";
inline constexpr const char* kLossAtOrigin = "loss_at_origin";
inline constexpr const char* kPointsDone = "points_done";
inline constexpr const char* kUpdated = "updated";
inline constexpr const char* kDone = "done";  // int64 mask of the grid's shape
inline constexpr const char* kDirs = "dirs";  // directionKindNames(); the norm is kNorm
inline constexpr const char* kOrigin = "origin";
inline constexpr const char* kDirectionsSource = "directions_source";
// A surface imported from another tool's file (flatland-cli import-surface): that file.
inline constexpr const char* kImportedFrom = "imported_from";
inline constexpr const char* kXCoordinates = "xcoordinates";
inline constexpr const char* kYCoordinates = "ycoordinates";
inline constexpr const char* kZCoordinates = "zcoordinates";
// The coordinates of grid axis 0, 1, 2.
inline constexpr const char* kAxisCoordinates[] = {kXCoordinates, kYCoordinates, kZCoordinates};
// Exported loss-landscape files (flatland-cli export): root attributes.
inline constexpr const char* kFlatlandAnalysis = "flatland_analysis";
inline constexpr const char* kLayout = "layout";

// Directions of a surface: the group directions/ (attributes kKind, kNorm, kSource; datasets
// d0, d1, d2 and groups d0_buffers, …) and, for PCA, trajectory/ (kCoordinates, kEpochs).
inline constexpr const char* kDirections = "directions";
inline constexpr const char* kSource = "source";
inline std::string directionName(int64_t k) { return "d" + std::to_string(k); }
inline std::string directionBuffersName(int64_t k) { return directionName(k) + "_buffers"; }
inline constexpr const char* kTrajectory = "trajectory";
inline constexpr const char* kCoordinates = "coordinates";
inline constexpr const char* kExplainedVariance = "explained_variance";  // also on the analysis

// Robustness analyses (kind = "robustness").
inline constexpr const char* kUnits = "units";  // "data" or "pixel"
inline constexpr const char* kClamped = "clamped";
inline constexpr const char* kCleanAccuracy = "clean_accuracy";
inline constexpr const char* kCleanLoss = "clean_loss";
inline constexpr const char* kCleanPerClassAccuracy = "clean_per_class_accuracy";
inline constexpr const char* kAttacks = "attacks";  // group of one group per attack
inline constexpr const char* kNorm = "norm";        // "linf" or "l2"
inline constexpr const char* kEps = "eps";
inline constexpr const char* kAccuracy = "accuracy";
inline constexpr const char* kLoss = "loss";
inline constexpr const char* kInputCurvature = "input_curvature";  // group
inline constexpr const char* kCure = "cure";
inline constexpr const char* kCureStep = "cure_step";
inline constexpr const char* kLambdaMaxMedian = "lambda_max_median";  // and kLambdaMaxMean
inline constexpr const char* kLambdaMaxCorrectMean = "lambda_max_correct_mean";
inline constexpr const char* kLambdaMaxWrongMean = "lambda_max_wrong_mean";
inline constexpr const char* kCureMean = "cure_mean";
inline constexpr const char* kCureMedian = "cure_median";
inline constexpr const char* kLambdaMaxPerClassMean = "lambda_max_per_class_mean";
inline constexpr const char* kCurePerClassMean = "cure_per_class_mean";
inline constexpr const char* kLabels = "labels";
inline constexpr const char* kPredictions = "predictions";
inline constexpr const char* kLanczosSteps = "lanczos_steps";
inline constexpr const char* kConverged = "converged";
inline constexpr const char* kCorruptions = "corruptions";  // group
inline constexpr const char* kNames = "names";
inline constexpr const char* kSeverityConstants = "severity_constants";
inline constexpr const char* kMeanAccuracy = "mean_accuracy";
inline constexpr const char* kInputSurface = "input_surface";  // group
inline constexpr const char* kAxis = "axis";
inline constexpr const char* kImage = "image";
inline constexpr const char* kSample = "sample";
inline constexpr const char* kLabel = "label";
inline constexpr const char* kDirectionNorm = "direction_norm";
inline constexpr const char* kSamplesEvaluated = "samples_evaluated";

// Quantization sweeps (kind = "quantize"): kBits, per_tensor/ and per_channel/ (kTestLoss,
// kTestAccuracy), and with HAWQ hawq/ (datasets kBits, kTrace, kParameters; attributes kLayers,
// kAverageBits, kTestAccuracy, kTestLoss).
inline constexpr const char* kFloatTestAccuracy = "float_test_accuracy";
inline constexpr const char* kFloatTestLoss = "float_test_loss";
inline constexpr const char* kBits = "bits";
inline constexpr const char* kPerTensor = "per_tensor";
inline constexpr const char* kPerChannel = "per_channel";
inline constexpr const char* kHawq = "hawq";
inline constexpr const char* kLayers = "layers";
inline constexpr const char* kAverageBits = "average_bits";

// Sharpness analyses (kind = "sharpness"; docs/project-file.md). Attributes of the analysis:
// kSamples, kParameters (above), kLoss and kAccuracy at the weights, on the data, and
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
// kTestLoss, kTestAccuracy (above) and
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
// kTestData (above), the runs' model specs and the sharpness analyses made of each, and
inline constexpr const char* kModels = "models";
inline constexpr const char* kSharpnessAnalyses = "sharpness_analyses";
inline constexpr const char* kMeasures =
    "measures";  // group: one dataset per measure, attribute names
inline constexpr const char* kKendallTauAccuracyGap = "kendall_tau_accuracy_gap";
inline constexpr const char* kKendallTauLossGap = "kendall_tau_loss_gap";
// The datasets of kMeasures: kLambdaMax, kTrace, kFisherRaoNorm, kRelativeFlatness, kWeightNorm
// (above), these, and per radius or σ a prefix with "_<value>" ("worst_case_rho_0.05").
inline constexpr const char* kPacBayesInverseSigma2 = "pac_bayes_inverse_sigma2";
inline constexpr const char* kWorstCaseRhoPrefix = "worst_case_rho";
inline constexpr const char* kRandomRhoPrefix = "random_rho";
inline constexpr const char* kGaussianSigmaPrefix = "gaussian_sigma";

// Mode connectivity (kind = "connectivity"): paths between two models evaluated at the same
// points kPathT of [0, 1]. The group linear/ is the straight line, curve/ the trained curve
// (attribute kCurveType); each holds kTrainLoss, kTrainAccuracy, kTestLoss, kTestAccuracy [T] and
// the attribute kBarrier. bend/ holds the curve's bend as a checkpoint holds a model (kParameters,
// kBuffers). Attributes kFromModel, kToModel; the curve's training in kCurveLoss [epochs].
inline constexpr const char* kFromModel = "from_model";
inline constexpr const char* kToModel = "to_model";
inline constexpr const char* kPathT = "t";
inline constexpr const char* kLinearPath = "linear";     // group
inline constexpr const char* kCurvePath = "curve";       // group
inline constexpr const char* kCurveType = "curve_type";  // linear | bezier | polychain
// Of a path: the largest train loss along it minus the mean of the endpoints' (Garipov 2018).
inline constexpr const char* kBarrier = "barrier";
inline constexpr const char* kBend = "bend";  // group
inline constexpr const char* kCurveLoss = "curve_training_loss";

}  // namespace flatland::schema
