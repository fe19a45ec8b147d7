// The data readers with a limit: the first `limit` samples are read (all when negative), so
// `--samples N` reads N samples instead of the whole file. The class count still comes from the
// whole label set where the format leaves it open (IDX, HDF5: labels are small), so a model's
// output width does not depend on N. Private to flatland_training; loadDataset uses them.
#pragma once

#include <cstdint>
#include <string>

#include "flatland/training/dataset.h"

namespace flatland::training {

Dataset readIdxPair(const std::string& imagesFile, const std::string& labelsFile, int64_t limit);
Dataset readCifar10(const std::string& dir, bool train, int64_t limit);
Dataset readHdf5Dataset(const std::string& file, int64_t limit);

}  // namespace flatland::training
